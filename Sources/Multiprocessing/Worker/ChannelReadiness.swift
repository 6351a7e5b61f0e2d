import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Waits until the worker's channel has something to read, on a thread of its own: an idle
/// worker must not hold one of Swift's few cooperative threads in `poll`, where tasks a job or
/// initializer started (a heartbeat, a cache refresher) would wait for a thread.
final class ChannelReadiness: @unchecked Sendable {
    // @unchecked: `request` is a POSIX semaphore, safe to post and wait from any thread; the
    // waiting continuation is behind a Mutex.

    private let fd: Int32
    private let request = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private let waiter = Mutex<CheckedContinuation<Void, Never>?>(nil)

    init(fd: Int32) {
        self.fd = fd
        sem_init(request, 0, 0)
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        _ = pthread_create(&thread, nil, { context in
            // Lives as long as the worker process.
            Unmanaged<ChannelReadiness>.fromOpaque(context!).takeUnretainedValue().serve()
        }, context)
        pthread_detach(thread)
    }

    /// Returns once the channel is readable (or closed).
    func wait() async {
        await withCheckedContinuation { continuation in
            waiter.withLock { $0 = continuation }
            sem_post(request)
        }
    }

    private func serve() -> Never {
        while true {
            while sem_wait(request) != 0 {}
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while poll(&entry, 1, -1) < 0 && errno == EINTR {}
            waiter.withLock { waiting in
                waiting?.resume()
                waiting = nil
            }
        }
    }
}
