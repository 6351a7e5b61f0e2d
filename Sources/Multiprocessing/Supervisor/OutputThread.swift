#if canImport(Glibc)
import Glibc
#endif

/// A thread where the library's output meets the program's code, so that this code never runs
/// on the reactor thread (a slow closure, a log handler or a standard error that blocks must not
/// hold up any pool) nor on Swift's cooperative threads (which a closure that sleeps or writes to
/// a blocked descriptor would take from the program's tasks). There are two, so that one stuck
/// for good (a log handler that never returns) does not stop the other: ``progress`` draws
/// ``ProgressReporter``'s lines and calls its `.custom` closures; ``logging`` hands the reactor
/// thread's messages to the program's log handler (``SupervisorLogHandler``). Each runs its work
/// one piece at a time, in order.
///
/// SIGPIPE is blocked on them, so a write to a pipe whose reader is gone fails with EPIPE instead
/// of killing the program; the program's SIGPIPE action is left as it is.
final class OutputThread: @unchecked Sendable {
    // @unchecked: `work` is read and written only with `lock` held; `thread` is
    // written once, in init, before the object is shared. The mutex and condition are allocated
    // once and never freed (the threads live as long as the program).

    /// Unbounded: each reporter has at most one draw waiting (it keeps only the latest snapshot).
    static let progress = OutputThread(name: "mp-progress", capacity: .max)
    /// At most 10,000 messages wait for a log handler that is slow or stuck; later ones are dropped.
    static let logging = OutputThread(name: "mp-log", capacity: 10_000)

    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let capacity: Int
    private var work: [@Sendable () -> Void] = []
    private var thread = pthread_t()

    private init(name: String, capacity: Int) {
        self.capacity = capacity
        lock = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(condition, nil)
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            Unmanaged<OutputThread>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        precondition(result == 0, "cannot start the library's \(name) thread: \(result)")
    }

    var isCurrent: Bool { pthread_equal(thread, pthread_self()) != 0 }

    /// Runs `body` on this thread, after what was posted before it; drops it instead when
    /// `capacity` pieces already wait (the thread is stuck in the program's code), so that what
    /// waits stays bounded.
    func post(_ body: @escaping @Sendable () -> Void) {
        post(body, evenWhenFull: false)
    }

    private func post(_ body: @escaping @Sendable () -> Void, evenWhenFull: Bool) {
        pthread_mutex_lock(lock)
        if evenWhenFull || work.count < capacity {
            work.append(body)
            pthread_cond_broadcast(condition)
        }
        pthread_mutex_unlock(lock)
    }

    /// Runs `body` on this thread and waits for it (at once when called there); never dropped.
    func sync(_ body: @escaping @Sendable () -> Void) {
        if isCurrent { return body() }
        let done = Done()
        post({
            body()
            done.set()
        }, evenWhenFull: true)
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
