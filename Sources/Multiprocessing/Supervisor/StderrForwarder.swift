import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Writes workers' standard error to the program's without ever blocking the reactor.
///
/// The program's descriptor 2 may be a pipe nobody reads, a terminal stopped with Ctrl-S, or a
/// pipe whose reader is gone. A blocking write there would stall every pool's timeouts and
/// cancellations; a write to a pipe without a reader would raise SIGPIPE, which kills the
/// program by default. So the forwarder writes through a non-blocking description of its own
/// (the program's descriptor keeps its flags), keeps what cannot be written now in a bounded
/// buffer that the reactor flushes when the descriptor becomes writable, and drops what does
/// not fit, saying how much once it can write again. The reactor thread blocks SIGPIPE, so a
/// reader that is gone is an EPIPE here, never the program's death; the program's own SIGPIPE
/// action is left as it is. Confined to the reactor thread.
final class StderrForwarder {
    /// Bytes kept while the descriptor is not writable; beyond them, whole chunks are dropped.
    static let capacity = 1 << 20

    private enum Route {
        /// A non-blocking description of the same pipe, FIFO or terminal, opened for this.
        case ownDescription(Int32)
        /// A socket: `send` with MSG_DONTWAIT | MSG_NOSIGNAL on the program's descriptor.
        case socket(Int32)
        /// A regular file (writes to it do not wait for a reader): written as it is.
        case plain(Int32)
        /// Nothing can be written (no descriptor 2, or its reader is gone).
        case none
    }

    private let reactor: Reactor
    private var route: Route
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var dropped = 0
    private var writableToken: UInt64?

    init(reactor: Reactor, descriptor: Int32 = 2) {
        self.reactor = reactor
        route = Self.route(for: descriptor)
    }

    private static func route(for descriptor: Int32) -> Route {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .none }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .plain(descriptor)
        case S_IFSOCK: return .socket(descriptor)
        default:
            // A new open file description of the same pipe or device: O_NONBLOCK on it leaves
            // the program's descriptor (and every process sharing it) untouched.
            let own = open("/proc/self/fd/\(descriptor)", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
            if own >= 0 { return .ownDescription(own) }
            // ENXIO: a pipe without a reader; nothing written there could be read.
            return errno == ENXIO ? .none : .plain(descriptor)
        }
    }

    /// Bytes written so far and not yet on their way: for tests and the drop note.
    var bufferedCount: Int { pending.count - pendingStart }

    /// Forwards `bytes` (whole lines): now if the descriptor takes them, later if it is full,
    /// or not at all (counted) if the buffer is full too.
    func write(_ bytes: UnsafeRawBufferPointer) {
        reactor.assertInLoop()
        guard !bytes.isEmpty else { return }
        if case .none = route { return }
        var start = 0
        if bufferedCount == 0 && dropped == 0 {
            start = writeNow(bytes)
            if start == bytes.count { return }
        }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
        if bufferedCount + rest.count > Self.capacity {
            dropped += rest.count
        } else {
            pending.append(contentsOf: rest)
        }
        waitForWritable()
    }

    /// Writes what the descriptor takes without waiting; returns how many bytes that was.
    private func writeNow(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count {
            let base = bytes.baseAddress! + offset
            let count = bytes.count - offset
            let written: Int
            switch route {
            case let .ownDescription(fd), let .plain(fd): written = Glibc.write(fd, base, count)
            case let .socket(fd): written = send(fd, base, count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
            case .none: return bytes.count
            }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return offset
            } else {
                // EPIPE (the reader is gone) or another lasting error: nothing more can go there.
                stop()
                return bytes.count
            }
        }
        return offset
    }

    private func waitForWritable() {
        guard writableToken == nil else { return }
        let fd: Int32
        switch route {
        case let .ownDescription(own): fd = own
        case let .socket(socket): fd = socket
        case .plain, .none:
            // A regular file that refused bytes (a full disk): try again with the next bytes.
            flushLater()
            return
        }
        writableToken = reactor.register(fd: fd, events: CMP_EPOLLOUT) { [weak self] _ in self?.flush() }
        if writableToken == nil { flushLater() }
    }

    private func flushLater() {
        reactor.schedule(after: .milliseconds(100)) { [weak self] in self?.flush() }
    }

    private func flush() {
        while bufferedCount > 0 || dropped > 0 {
            if bufferedCount == 0 {
                let note = "[swift-multiprocessing: \(dropped) bytes of workers' standard error dropped: it was not being read]\n"
                pending = Array(note.utf8)
                pendingStart = 0
                dropped = 0
            }
            let written = pending.withUnsafeBytes { writeNow(UnsafeRawBufferPointer(rebasing: $0[pendingStart...])) }
            if case .none = route { return }
            pendingStart += written
            if bufferedCount > 0 {
                if writableToken == nil { waitForWritable() }
                return
            }
            pending.removeAll(keepingCapacity: pending.capacity <= 64 * 1024)
            pendingStart = 0
        }
        stopWaitingForWritable()
    }

    private func stopWaitingForWritable() {
        guard let token = writableToken else { return }
        switch route {
        case let .ownDescription(fd), let .socket(fd): reactor.unregister(fd: fd, token: token)
        case .plain, .none: break
        }
        writableToken = nil
    }

    /// The descriptor cannot take bytes any more: let go of everything.
    private func stop() {
        stopWaitingForWritable()
        if case let .ownDescription(fd) = route { close(fd) }
        route = .none
        pending = []
        pendingStart = 0
        dropped = 0
    }
}
