#if canImport(Glibc)
import Glibc
#endif

/// The thread where the library's output meets the program's code: ``ProgressReporter``'s
/// writes and `.custom` closures, and the program's log handler for messages of the reactor
/// thread (``SupervisorLogHandler``). They run here one at a time, in order; never on the
/// reactor thread (a slow closure, a log handler or a standard error that blocks must not hold
/// up any pool) and never on Swift's cooperative threads (which a closure that sleeps or writes
/// to a blocked descriptor would take from the program's tasks).
///
/// SIGPIPE is blocked on it, so a write to a pipe whose reader is gone fails with EPIPE instead
/// of killing the program; the program's SIGPIPE action is left as it is.
final class OutputThread: @unchecked Sendable {
    // @unchecked: `work` and `running` are read and written only with `lock` held; the mutex and
    // condition are allocated once and never freed (the thread lives as long as the program).

    static let shared = OutputThread()

    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var work: [@Sendable () -> Void] = []
    private var thread = pthread_t()

    private init() {
        lock = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(condition, nil)
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            Unmanaged<OutputThread>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        precondition(result == 0, "cannot start the library's output thread: \(result)")
    }

    var isCurrent: Bool { pthread_equal(thread, pthread_self()) != 0 }

    /// Runs `body` on the output thread, after what was posted before it.
    func post(_ body: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(lock)
        work.append(body)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(lock)
    }

    /// Runs `body` on the output thread and waits for it (at once when called there).
    func sync(_ body: @escaping @Sendable () -> Void) {
        if isCurrent { return body() }
        let done = Done()
        post {
            body()
            done.set()
        }
        done.wait()
    }

    private func run() {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        while true {
            pthread_mutex_lock(lock)
            while work.isEmpty { pthread_cond_wait(condition, lock) }
            let batch = work
            work.removeAll()
            pthread_mutex_unlock(lock)
            for body in batch { body() }
        }
    }

    /// A one-shot flag a thread can wait for.
    private final class Done: @unchecked Sendable {
        // @unchecked: `isSet` is read and written only with `lock` held. The mutex and condition
        // are allocated (pthread objects must not move) and freed with the flag.
        private let lock: UnsafeMutablePointer<pthread_mutex_t> = .allocate(capacity: 1)
        private let condition: UnsafeMutablePointer<pthread_cond_t> = .allocate(capacity: 1)
        private var isSet = false

        init() {
            pthread_mutex_init(lock, nil)
            pthread_cond_init(condition, nil)
        }

        deinit {
            pthread_mutex_destroy(lock)
            pthread_cond_destroy(condition)
            lock.deallocate()
            condition.deallocate()
        }

        func set() {
            pthread_mutex_lock(lock)
            isSet = true
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(lock)
        }

        func wait() {
            pthread_mutex_lock(lock)
            while !isSet { pthread_cond_wait(condition, lock) }
            pthread_mutex_unlock(lock)
        }
    }
}
