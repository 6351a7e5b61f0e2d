import CMultiprocessing
import Synchronization

/// A pool of worker processes that run ``Job``s: Python's `multiprocessing.Pool` and
/// `concurrent.futures.ProcessPoolExecutor`, with async/await.
///
/// ```swift
/// struct Square: Job {
///     func run(_ x: Int) async throws -> Int { x * x }
/// }
/// try await withProcessPool(workers: 4) { pool in
///     print(try await pool.map(Square(), [1, 2, 3, 4]))   // [1, 4, 9, 16]
/// }
/// ```
///
/// A worker that crashes costs only the item it was running, which fails with a
/// ``JobFailure``; its other items run elsewhere and a new worker takes its place. The pool is
/// safe to use from many tasks at once. Workers never outlive the pool: ``close()`` and
/// ``join()`` finish queued work and stop them, ``terminate()`` kills them, and a pool that is
/// released is terminated. They also die with the program, even when it is killed.
public final class ProcessPool: Sendable {
    /// How many worker processes the pool keeps.
    public let workerCount: Int
    let options: Options
    let core: PoolCore
    private let lifecycle = Mutex(Lifecycle.open)
    private let callIDs = Atomic<UInt64>(1)

    private enum Lifecycle { case open, closed, terminated }

    /// Starts a pool of `workers` processes (by default, as many as the CPUs this process may
    /// use). Returns at once; the workers start in the background.
    public init(workers: Int? = nil, options: Options = Options()) throws {
        let count = workers ?? ProcessPool.availableCPUs
        guard count >= 1 else { throw ProcessPoolError.invalidArgument("a pool needs at least one worker, not \(count)") }
        if let limit = options.maxTasksPerWorker, limit < 1 {
            throw ProcessPoolError.invalidArgument("maxTasksPerWorker must be at least 1, not \(limit)")
        }
        guard options.retries >= 0 else { throw ProcessPoolError.invalidArgument("retries must not be negative") }
        workerCount = count
        self.options = options
        var configuration = PoolConfiguration(workers: count)
        configuration.launch.memoryLimitBytes = options.memoryLimitBytes ?? 0
        configuration.launch.reportsResidentMemory = options.recycleAboveResidentBytes != nil
        configuration.launch.backtraces = options.workerBacktraces
        configuration.launch.maxFrameSize = min(max(options.maxFrameBytes, 1024), Frame.largestMaxSize)
        configuration.maxTasksPerWorker = options.maxTasksPerWorker
        configuration.recycleAboveResidentBytes = options.recycleAboveResidentBytes
        configuration.metricsName = options.metricsName
        if let initializer = options.initializer {
            let encoded = try EncodedJob(target: initializer)
            configuration.initializer = (encoded.typeName, encoded.blob)
        }
        let core = PoolCore(reactor: .shared, configuration: configuration)
        self.core = core
        core.reactor.execute { core.start() }
    }

    deinit {
        let core = core
        core.reactor.execute { core.terminate() }
    }

    /// The CPUs this process may run on (its affinity mask, not the machine's count).
    public static var availableCPUs: Int { Int(cmp_available_cpus()) }

    // MARK: Shutting down

    /// Stops taking work; what was submitted still runs (Python's `Pool.close()`).
    /// - Throws: ``ProcessPoolError/alreadyClosed`` the second time.
    public func close() throws {
        try lifecycle.withLock { state in
            guard state == .open else { throw ProcessPoolError.alreadyClosed }
            state = .closed
        }
        let core = core
        core.reactor.execute { core.close() }
    }

    /// Stops now: queued and running work fails with ``JobFailure/Reason/poolTerminated`` and
    /// the workers are killed (Python's `Pool.terminate()`). Waits until they are gone.
    public func terminate() async {
        lifecycle.withLock { $0 = .terminated }
        let core = core
        core.reactor.execute { core.terminate() }
        await waitForWorkersToExit()
    }

    /// Waits until every worker has exited, after ``close()`` or ``terminate()``.
    /// - Throws: ``ProcessPoolError/notClosed`` if neither was called.
    public func join() async throws {
        guard lifecycle.withLock({ $0 != .open }) else { throw ProcessPoolError.notClosed }
        await waitForWorkersToExit()
    }

    private func waitForWorkersToExit() async {
        let core = core
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            core.reactor.execute { core.onAllWorkersExited(continuation) }
        }
    }

    /// The process ids of the pool's live workers (replacements included), for monitoring.
    public func workerPIDs() async -> [Int32] {
        let core = core
        return await withCheckedContinuation { continuation in
            core.reactor.execute { continuation.resume(returning: core.slots.map(\.pid)) }
        }
    }

    /// What the pool has been through, counted since it started.
    public struct Statistics: Sendable, Equatable {
        /// Worker processes started, replacements included.
        public var workersStarted = 0
        /// Workers that died without being asked to (traps, signals, `exit`).
        public var workerCrashes = 0
        /// Items that ran past their timeout (their workers were killed).
        public var timeouts = 0
        /// Items run again after a crash or timeout.
        public var retries = 0
        /// Workers replaced for reaching their task limit or memory bound.
        public var workersRecycled = 0
        /// Tasks (chunks, items of a stream, `apply` calls) finished by a worker.
        public var tasksCompleted = 0
        /// Attempts to start a worker that failed for a cause that passes by itself: the
        /// program or the system out of descriptors (EMFILE, ENFILE), processes (EAGAIN) or
        /// memory (ENOMEM, ENOBUFS). The pool does not break for these; it tries again with a
        /// back-off that doubles from 10 ms to 1 s, and calls wait meanwhile.
        public var transientSpawnFailures = 0
        /// Why workers cannot be started right now, while they cannot ("socketpair: Too many
        /// open files (EMFILE)"); nil once a worker starts again, and while none has failed.
        /// A program that makes no progress can show this to say why. A cause that will not
        /// pass (the executable is missing or not executable) is not shown here: it breaks the
        /// pool at once, and calls fail with ``JobFailure/Reason/workerStartFailed(_:)``.
        public var spawnFailure: String?

        /// All counts zero, no spawn failure.
        public init() {}
    }

    /// The pool's counts so far.
    public func statistics() async -> Statistics {
        let core = core
        return await withCheckedContinuation { continuation in
            core.reactor.execute { continuation.resume(returning: core.statistics) }
        }
    }

    // MARK: Calls

    func ensureOpen() throws {
        guard lifecycle.withLock({ $0 == .open }) else { throw ProcessPoolError.closed }
    }

    func nextCallID() -> UInt64 {
        callIDs.add(1, ordering: .relaxed).oldValue
    }

    /// Registers a call with the supervisor and returns its sink. `chunks`, when given, are the
    /// call's whole input, submitted in the same trip to the reactor (one wake-up for `apply`).
    func openCall(id: UInt64, kind: CallState.Kind, job: EncodedJob, options: CallOptions,
                  progress: ProgressReporter? = nil, wholeInput chunks: [Chunk]? = nil) -> ResultSink {
        let sink = ResultSink(progress: progress)
        let core = core
        core.reactor.execute {
            let jobID = core.jobs.acquire(typeName: job.typeName, blob: job.blob)
            core.open(CallState(id: id, kind: kind, jobID: jobID, jobType: job.displayName, options: options, sink: sink))
            if let chunks { core.submit(callID: id, chunks: chunks, inputFinished: true) }
        }
        return sink
    }

    func submit(callID: UInt64, chunks: [Chunk], inputFinished: Bool) {
        let core = core
        core.reactor.execute { core.submit(callID: callID, chunks: chunks, inputFinished: inputFinished) }
    }

    /// Cancels a call: `graceful` lets running items finish; nil follows the call's options.
    func cancel(callID: UInt64, graceful: Bool? = nil) {
        let core = core
        core.reactor.execute { core.cancel(callID: callID, graceful: graceful) }
    }

    func callOptions(timeout: Duration?, retries: Int?, typeRetries: Int?, reportsIndex: Bool) throws -> CallOptions {
        let retries = retries ?? typeRetries ?? options.retries
        guard retries >= 0 else { throw ProcessPoolError.invalidArgument("retries must not be negative") }
        if let timeout, timeout <= .zero { throw ProcessPoolError.invalidArgument("timeout must be positive") }
        return CallOptions(timeout: timeout ?? options.timeout, retries: retries,
                           gracefulCancel: options.cancellation == .letRunningFinish, reportsIndex: reportsIndex)
    }
}

/// Runs `body` with a new pool, then shuts the pool down whatever happens, as Python's
/// `with Pool() as p:` does: after `body` returns, submitted work finishes (``ProcessPool/close()``
/// and ``ProcessPool/join()``); if it throws or is cancelled, the pool is terminated.
///
/// `body` runs in the caller's isolation (`isolation`, by default the caller's actor, as
/// `withTaskGroup` does): an actor's method can touch its state in `body` without `await`.
public func withProcessPool<Value>(
    workers: Int? = nil,
    options: ProcessPool.Options = .init(),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (ProcessPool) async throws -> Value
) async throws -> Value {
    let pool = try ProcessPool(workers: workers, options: options)
    let value: Value
    do {
        value = try await body(pool)
    } catch {
        await pool.terminate()
        throw error
    }
    try? pool.close()
    try await pool.join()
    return value
}
