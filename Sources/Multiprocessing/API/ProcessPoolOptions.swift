extension ProcessPool {
    /// How a pool starts, limits and replaces its workers, and what its calls default to.
    public struct Options: Sendable {
        /// Runs once in each worker before its first task (Python's `initializer`/`initargs`):
        /// set up what jobs share through ``WorkerState``. A worker whose initializer throws or
        /// traps is replaced; if that keeps happening the pool fails its work with
        /// ``JobFailure/Reason/workerStartFailed(_:)`` instead of spinning.
        public var initializer: (any ProcessTarget)?
        /// Replace a worker after it ran this many tasks (Python's `maxtasksperchild`). A task is
        /// one chunk of a `map`, one item of a stream with chunk size 1, one `apply`.
        public var maxTasksPerWorker: Int?
        /// Replace a worker, between tasks, once its resident memory exceeds this many bytes
        /// (a guard against leaks in job code).
        public var recycleAboveResidentBytes: Int?
        /// A hard cap on each worker's data segment (`RLIMIT_DATA`), in bytes. An item that
        /// exceeds it fails with ``JobFailure/Reason/outOfMemory(limitBytes:)``; the pool goes on.
        public var memoryLimitBytes: Int?
        /// The default per-item timeout; an item over it fails and its worker is killed.
        public var timeout: Duration?
        /// The default number of times an item is run again after its worker crashed or it
        /// timed out (Ray's `max_retries`). Errors a job throws are not retried.
        public var retries: Int
        /// Keep Swift's crash backtracer on in workers (slow and verbose; off by default).
        public var workerBacktraces: Bool
        /// The largest frame either side accepts, in bytes.
        public var maxFrameBytes: Int
        /// What cancelling a call does to its items that are already running.
        public var cancellation: CancellationMode
        /// The `pool` dimension of the pool's metrics (swift-metrics, through whatever backend
        /// the program bootstrapped): counters `multiprocessing_pool_tasks_completed_total`,
        /// `…_worker_crashes_total`, `…_timeouts_total`, `…_retries_total`,
        /// `…_workers_started_total`, `…_workers_recycled_total`,
        /// `…_transient_spawn_failures_total`; gauge `multiprocessing_pool_workers`; timer
        /// `multiprocessing_pool_task_duration_seconds` (a task from sent to its last result). A pool
        /// started before the program bootstrapped a backend records nothing.
        public var metricsName: String

        /// Options; each parameter is described at the property of the same name.
        public init(
            initializer: (any ProcessTarget)? = nil,
            maxTasksPerWorker: Int? = nil,
            recycleAboveResidentBytes: Int? = nil,
            memoryLimitBytes: Int? = nil,
            timeout: Duration? = nil,
            retries: Int = 0,
            workerBacktraces: Bool = false,
            maxFrameBytes: Int = 1 << 30,
            cancellation: CancellationMode = .killRunning,
            metricsName: String = "default"
        ) {
            self.initializer = initializer
            self.maxTasksPerWorker = maxTasksPerWorker
            self.recycleAboveResidentBytes = recycleAboveResidentBytes
            self.memoryLimitBytes = memoryLimitBytes
            self.timeout = timeout
            self.retries = retries
            self.workerBacktraces = workerBacktraces
            self.maxFrameBytes = maxFrameBytes
            self.cancellation = cancellation
            self.metricsName = metricsName
        }
    }

    /// What cancelling a call (its Swift task, or ``JobHandle/cancel()``) does to its items that
    /// are already running. Queued items are dropped at once either way.
    public enum CancellationMode: Sendable, Equatable {
        /// Kill the workers running them; the pool starts new ones. Stops non-cooperative work.
        case killRunning
        /// Let them finish and drop their results; no worker is lost.
        case letRunningFinish
    }
}

/// The jobs's value, encoded, with its type's name: what a worker needs to run it.
struct EncodedJob: Sendable {
    var typeName: String
    var blob: [UInt8]
    var displayName: String

    init<T: Encodable>(_ value: T) throws {
        typeName = try JobTypeName.of(T.self)
        displayName = String(reflecting: T.self)
        do {
            blob = try BinaryEncoder().encode(value)
        } catch {
            throw JobFailure(reason: .codingFailed("cannot encode the job: \(error)"), jobType: displayName)
        }
    }

    /// For a target held as an existential (the pool's initializer).
    init(target: any ProcessTarget) throws {
        try self.init(target)
    }
}
