import CMultiprocessing
import HeapModule
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one thread that owns every worker of the program: it spawns them, moves their bytes,
/// reaps them and keeps their timers. Pools and processes post work to it with ``execute(_:)``;
/// everything they keep about their workers is touched only on this thread.
///
/// It spawns from a thread that never exits because `PR_SET_PDEATHSIG` fires when the *thread*
/// that spawned a child exits, not the process.
final class Reactor: @unchecked Sendable {
    // @unchecked: `mailbox` and `sleeping` are synchronized; every other stored property is
    // read and written only on the reactor's own thread (checked by `assertInLoop`, in release builds too).

    static let shared = Reactor()

    typealias IOHandler = (_ events: UInt32) -> Void

    private let epollFD: Int32
    private let wakeFD: Int32
    private let mailbox = Mutex<[@Sendable () -> Void]>([])
    private let sleeping = Atomic<Bool>(false)
    /// The reactor thread's id, for the confinement check (0 until it runs).
    private let loopThread = Atomic<UInt>(0)

    private var handlers: [UInt64: IOHandler] = [:]
    private var nextToken: UInt64 = 1
    private var timers = Heap<TimerEntry>()
    private var cancelledTimers = Set<UInt64>()
    private var nextTimerID: UInt64 = 1
    private var endOfIteration: [() -> Void] = []
    /// Workers' standard error goes to the program's through this (reactor thread only; made
    /// with the first worker, once per program).
    private(set) lazy var stderrForwarder = StderrForwarder(reactor: self)

    private static let wakeToken: UInt64 = 0

    /// A stepped reactor (see ``stepped()``): no thread, its own clock.
    private let isStepped: Bool
    /// A stepped reactor's clock, in nanoseconds; it moves only by ``advance(by:)``.
    private var steppedNow: UInt64 = 1_000_000_000

    private init(stepped: Bool = false) {
        epollFD = cmp_epoll_create()
        wakeFD = cmp_eventfd()
        precondition(epollFD >= 0 && wakeFD >= 0, "cannot create the reactor's epoll or eventfd: errno \(errno)")
        _ = cmp_epoll_add(epollFD, wakeFD, CMP_EPOLLIN, Self.wakeToken)
        isStepped = stepped
        if !stepped { startThread() }
    }

    private func startThread() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            let reactor = Unmanaged<Reactor>.fromOpaque(context!).takeRetainedValue()
            reactor.loopThread.store(UInt(pthread_self()), ordering: .releasing)
            reactor.run()
            return nil
        }, context)
        precondition(result == 0, "cannot start the reactor thread: \(result)")
    }

    /// Runs `work` on the reactor thread, soon. Safe from any thread.
    func execute(_ work: @escaping @Sendable () -> Void) {
        mailbox.withLock { $0.append(work) }
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    var isInLoop: Bool {
        // A stepped reactor has no thread to compare with: its one driver calls in turn.
        isStepped || loopThread.load(ordering: .acquiring) == UInt(pthread_self())
    }

    /// The reactor's clock: the monotonic clock, or a stepped reactor's own.
    func now() -> UInt64 {
        isStepped ? steppedNow : cmp_monotonic_ns()
    }

    /// Where workers' standard error goes: the program's, except from a stepped reactor's
    /// scripted workers (a test's), whose lines are only kept.
    var workerStderrForwarder: StderrForwarder? {
        isStepped ? nil : stderrForwarder
    }

    /// Confinement, checked in release builds too: one load and a compare.
    func assertInLoop(file: StaticString = #fileID, line: UInt = #line) {
        precondition(isInLoop, "reactor state touched off the reactor thread", file: file, line: line)
    }

    // MARK: Registration (reactor thread only)

    /// Watches `fd` for `events`; returns the token that names the registration.
    func register(fd: Int32, events: UInt32, _ handler: @escaping IOHandler) -> UInt64? {
        assertInLoop()
        let token = nextToken
        nextToken += 1
        guard cmp_epoll_add(epollFD, fd, events, token) == 0 else { return nil }
        handlers[token] = handler
        return token
    }

    func modify(fd: Int32, token: UInt64, events: UInt32) {
        assertInLoop()
        _ = cmp_epoll_modify(epollFD, fd, events, token)
    }

    func unregister(fd: Int32, token: UInt64) {
        assertInLoop()
        _ = cmp_epoll_remove(epollFD, fd)
        handlers[token] = nil
    }

    /// Runs `body` once this round of events is handled: where writes are flushed, so that all
    /// the frames one round produces for a worker leave in one system call.
    func atEndOfIteration(_ body: @escaping () -> Void) {
        assertInLoop()
        endOfIteration.append(body)
    }

    // MARK: Timers (reactor thread only)

    struct TimerEntry: Comparable {
        var deadline: UInt64
        var id: UInt64
        var body: () -> Void
        static func < (a: TimerEntry, b: TimerEntry) -> Bool { (a.deadline, a.id) < (b.deadline, b.id) }
        static func == (a: TimerEntry, b: TimerEntry) -> Bool { a.id == b.id }
    }

    /// Runs `body` on the reactor thread after `delay`; returns an id for ``cancelTimer(_:)``.
    @discardableResult
    func schedule(after delay: Duration, _ body: @escaping () -> Void) -> UInt64 {
        assertInLoop()
        let id = nextTimerID
        nextTimerID += 1
        let deadline = now() &+ UInt64(max(0, delay.nanoseconds))
        timers.insert(TimerEntry(deadline: deadline, id: id, body: body))
        return id
    }

    func cancelTimer(_ id: UInt64) {
        assertInLoop()
        cancelledTimers.insert(id)
    }

    // MARK: The loop

    /// After work, the loop keeps looking for more this long before it sleeps: a reply that
    /// comes within it costs no wake-up (tens of microseconds between vCPUs).
    static let spinNanos: UInt64 = 50_000

    private func run() {
        // The library's writes (workers' standard error) must never raise SIGPIPE: blocked on
        // this thread, a write to a pipe without a reader fails with EPIPE instead. The
        // program's SIGPIPE action, and every other thread's mask, stay as they are.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        let capacity = 64
        var tokens = [UInt64](repeating: 0, count: capacity)
        var events = [UInt32](repeating: 0, count: capacity)
        var lastWork: UInt64 = 0
        var spinGate = SpinGate()
        while true {
            var timeout = nextTimeoutMilliseconds()
            if timeout != 0 {
                let now = cmp_monotonic_ns()
                if now &- lastWork < Self.spinNanos && spinGate.allowsSpin(at: now) {
                    timeout = 0
                    // On few CPUs the thread that will answer may be waiting for this one's CPU.
                    sched_yield()
                } else {
                    spinGate.spinEnded(at: now)
                }
            }
            var count: Int32
            if timeout != 0 {
                sleeping.store(true, ordering: .sequentiallyConsistent)
                let pending = mailbox.withLock { !$0.isEmpty }
                if pending {
                    sleeping.store(false, ordering: .sequentiallyConsistent)
                    count = cmp_epoll_wait(epollFD, &tokens, &events, Int32(capacity), 0)
                } else {
                    count = cmp_epoll_wait(epollFD, &tokens, &events, Int32(capacity), timeout)
                    sleeping.store(false, ordering: .sequentiallyConsistent)
                }
            } else {
                count = cmp_epoll_wait(epollFD, &tokens, &events, Int32(capacity), 0)
            }
            if count > 0 || mailbox.withLock({ !$0.isEmpty }) {
                lastWork = cmp_monotonic_ns()
                spinGate.spinEnded(at: cmp_monotonic_ns())
            }
            _ = iterate(count: Int(count), tokens: tokens, events: events)
        }
    }

    /// One round after `epoll_wait`: the ready descriptors' handlers, the mailbox, the due
    /// timers, then the end-of-round hooks (the flushes). Returns how many pieces of work ran.
    private func iterate(count: Int, tokens: [UInt64], events: [UInt32]) -> Int {
        var work = 0
        for index in 0..<max(count, 0) {
            let token = tokens[index]
            if token == Self.wakeToken {
                var value: UInt64 = 0
                _ = Glibc.read(wakeFD, &value, 8)
            } else if let handler = handlers[token] {
                handler(events[index])
                work += 1
            }
        }
        work += runMailbox()
        work += runDueTimers()
        work += runEndOfIteration()
        return work
    }

    private func runMailbox() -> Int {
        // Work posted while running the batch runs in the next round, after this round's flush.
        let batch = mailbox.withLock { work -> [@Sendable () -> Void] in
            let taken = work
            work.removeAll(keepingCapacity: true)
            return taken
        }
        for work in batch { work() }
        return batch.count
    }

    private func runDueTimers() -> Int {
        let time = now()
        var ran = 0
        while let first = timers.min, first.deadline <= time {
            let entry = timers.removeMin()
            if cancelledTimers.remove(entry.id) == nil {
                entry.body()
                ran += 1
            }
        }
        return ran
    }

    private func runEndOfIteration() -> Int {
        var ran = 0
        while !endOfIteration.isEmpty {
            let hooks = endOfIteration
            endOfIteration.removeAll()
            for hook in hooks { hook() }
            ran += hooks.count
        }
        return ran
    }

    private func nextTimeoutMilliseconds() -> Int32 {
        if !endOfIteration.isEmpty { return 0 }
        while let first = timers.min, cancelledTimers.contains(first.id) {
            cancelledTimers.remove(timers.removeMin().id)
        }
        guard let first = timers.min else { return -1 }
        let now = cmp_monotonic_ns()
        guard first.deadline > now else { return 0 }
        let milliseconds = (first.deadline - now + 999_999) / 1_000_000
        return Int32(min(milliseconds, 60_000))
    }
}

// MARK: Stepped reactors (the supervisor's model test)

extension Reactor {
    /// A reactor without a thread, for tests that drive a pool's supervisor event by event
    /// (see `SupervisorModelTests`): it runs a round only when ``step()`` is called, on the
    /// caller's thread, and its clock moves only by ``advance(by:)``. Its descriptors are real
    /// (scripted workers talk over socket pairs); ``shutDown()`` closes them.
    static func stepped() -> Reactor {
        Reactor(stepped: true)
    }

    /// Runs one round without waiting: what is ready now, the mailbox, the due timers, the
    /// flushes. Returns how many pieces of work ran (0: nothing was ready).
    func step() -> Int {
        precondition(isStepped, "only a stepped reactor is stepped by hand")
        let capacity = 64
        var tokens = [UInt64](repeating: 0, count: capacity)
        var events = [UInt32](repeating: 0, count: capacity)
        let count = cmp_epoll_wait(epollFD, &tokens, &events, Int32(capacity), 0)
        return iterate(count: Int(count), tokens: tokens, events: events)
    }

    /// Moves a stepped reactor's clock on (timers fall due at the next ``step()``).
    func advance(by duration: Duration) {
        precondition(isStepped, "only a stepped reactor's clock is moved by hand")
        steppedNow &+= UInt64(max(0, duration.nanoseconds))
    }

    /// Forgets every handler, timer and hook (which hold the objects they serve) and closes the
    /// reactor's own descriptors. A stepped reactor only; it is not used again.
    func shutDown() {
        precondition(isStepped, "the shared reactor runs for the program's life")
        handlers.removeAll()
        timers = Heap()
        cancelledTimers.removeAll()
        endOfIteration.removeAll()
        mailbox.withLock { $0.removeAll() }
        close(epollFD)
        close(wakeFD)
    }
}

extension Duration {
    /// The whole duration in nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
