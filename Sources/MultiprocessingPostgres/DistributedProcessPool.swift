#if Postgres
import Logging
@_spi(PoolBackends) import Multiprocessing
import PostgresNIO

/// A pool whose workers are processes on many machines, which share a PostgreSQL database as
/// a durable job queue: the same calls as `ProcessPool` (it conforms to
/// `JobPool`), with tasks and results stored as rows.
///
/// ```swift
/// let pool = try await DistributedProcessPool(url: "postgres://app:secret@db/jobs", queue: "images")
/// let thumbnails = try await pool.map(MakeThumbnail(), paths)
/// ```
///
/// Worker hosts are the same executable started with `MULTIPROCESSING_POSTGRES_WORKER=<queue>`
/// and `MULTIPROCESSING_POSTGRES_URL=<url>` (see ``WorkerHost``). Execution is at least once: a
/// task whose host dies runs again elsewhere when its lease expires; its recorded result is
/// exactly once (the first one wins; later ones are counted as duplicates). A task that keeps
/// crashing workers or timing out is dead-lettered after ``Options/maxAttempts`` attempts, with
/// each attempt's cause. A job outlives its submitter: ``attach(jobID:outputType:)`` collects it
/// again by its id.
public final class DistributedProcessPool: JobPool {
    /// Settings of a submitter.
    public struct Options: Sendable {
        /// Attempts per task when its worker crashes, it times out or its host stops answering.
        /// A job type's `Job.retries` or a call's `retries` (attempts - 1) win.
        public var maxAttempts: Int
        /// How long one task may run on a host before its worker is killed (nil: no limit).
        public var timeout: Duration?
        /// The largest input or output, encoded, that a task may have.
        public var maxPayloadBytes: Int
        /// How often to look for results when no notification came.
        public var pollInterval: Duration
        /// How long the first connection may take before the pool gives up.
        public var connectTimeout: Duration
        /// How long collecting results, cancelling and reading the status ride out a database
        /// that cannot be used (a restart, a failover, a dropped connection: they reconnect
        /// with back-off); past it they throw ``DistributedPoolError/databaseUnavailable(_:)``.
        /// Submitting (``DistributedProcessPool/start(_:_:timeout:retries:priority:)``) rides it out
        /// too: each job carries a token of its submitter's, so a try whose reply was lost after
        /// it committed is found, not stored twice.
        public var outageTolerance: Duration
        /// The longest a task may run when neither the call nor ``timeout`` gives a limit
        /// (default: an hour). Its host holds the task's lease while it runs, so without a
        /// limit a task that never ends would hold it for ever; past this it is killed and
        /// counts as a timed-out attempt. `nil`: no limit, only when asked for.
        public var defaultMaxRunTime: Duration?
        /// The priority of this pool's jobs when a call gives none (default 0). Hosts claim the
        /// tasks of higher-priority open jobs first; jobs of one priority share the hosts in
        /// turn, so a small job behind a big one starts at once.
        public var priority: Int
        /// How many tasks of one of this pool's jobs may run at once, on all hosts together
        /// (nil: no limit; values below 1 count as 1): a job that calls a rate-limited service,
        /// or that should leave room for others. Tasks a host has claimed count as running.
        public var maxRunningTasksPerJob: Int?

        /// Settings with the defaults above; give only those you change.
        public init(maxAttempts: Int = 3, timeout: Duration? = nil, maxPayloadBytes: Int = 16 << 20,
                    pollInterval: Duration = .milliseconds(500), connectTimeout: Duration = .seconds(15),
                    outageTolerance: Duration = .seconds(60), defaultMaxRunTime: Duration? = .seconds(3_600),
                    priority: Int = 0, maxRunningTasksPerJob: Int? = nil) {
            self.defaultMaxRunTime = defaultMaxRunTime
            self.priority = priority
            self.maxRunningTasksPerJob = maxRunningTasksPerJob
            self.maxAttempts = maxAttempts
            self.timeout = timeout
            self.maxPayloadBytes = maxPayloadBytes
            self.pollInterval = pollInterval
            self.connectTimeout = connectTimeout
            self.outageTolerance = outageTolerance
        }
    }

    /// The queue's name: worker hosts of this queue run this pool's tasks.
    public let queue: String
    /// The settings the pool was made with.
    public let options: Options
    let database: QueueDatabase
    let resultBells: NotificationHub
    let buildIdentity: String

    /// Connects, and creates or migrates the queue's tables when needed.
    public convenience init(url: String, queue: String, options: Options = Options(),
                            logger: Logger = Logger(label: "multiprocessing.postgres")) async throws {
        try await self.init(url: url, queue: queue, options: options, logger: logger, buildIdentity: BuildIdentity.current)
    }

    /// For tests: stamps the jobs with another build's identity, as a submitter of another build would.
    @_spi(Testing)
    public init(url: String, queue: String, options: Options = Options(), logger: Logger, buildIdentity: String) async throws {
        guard !queue.isEmpty else { throw DistributedPoolError.invalidConfiguration("the queue needs a name") }
        guard options.maxAttempts >= 1 else {
            throw DistributedPoolError.invalidConfiguration("maxAttempts must be at least 1")
        }
        let settings = try PostgresConnectionSettings(url: url)
        self.queue = queue
        self.options = options
        self.buildIdentity = buildIdentity
        database = QueueDatabase(settings: settings, logger: logger)
        do {
            try await Schema.migrate(database, settings: settings, timeout: options.connectTimeout)
        } catch {
            database.shutdown()
            throw error
        }
        resultBells = NotificationHub(database: database, channel: "mp_results")
        logger.debug("distributed pool ready", metadata: ["database": "\(settings)", "queue": "\(queue)"])
    }

    /// Closes the database connections. Jobs already submitted go on running on the hosts.
    public func close() {
        resultBells.stop()
        database.shutdown()
    }

    deinit {
        close()
    }

    /// Submits `job` on every input and returns at once with the job's handle (its id lets
    /// another process collect it with ``attach(jobID:outputType:)``). `priority` (higher
    /// first; default ``Options/priority``) orders it against the queue's other open jobs.
    ///
    /// The inputs are encoded and stored in pieces as `inputs` yields them (the submitter holds
    /// one piece at a time, whatever the job's size); hosts see the job only once all of it is
    /// stored. If the submission fails or is cancelled half-way, what it stored is removed.
    public func start<J: Job>(_ job: J, _ inputs: some Sequence<J.Input>, timeout: Duration? = nil,
                              retries: Int? = nil, priority: Int? = nil) async throws -> DistributedJob<J.Output> {
        let typeName = try JobTypeName.of(J.self)
        let jobBlob = try BinaryEncoder().encode(job)
        try checkSize(jobBlob.count)
        let attempts = (retries ?? J.retries).map { $0 + 1 } ?? options.maxAttempts
        let limit = timeout ?? options.timeout ?? options.defaultMaxRunTime
        let rank = Int32(clamping: priority ?? options.priority)
        let timeoutMS = limit.map { Int64($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) }
        let outputType = _mangledTypeName(J.Output.self) ?? String(reflecting: J.Output.self)
        let jobName = String(reflecting: J.self)
        let submission = JobSubmission(
            queue: queue, buildIdentity: buildIdentity, typeName: typeName, jobName: jobName, outputType: outputType,
            jobBlob: ByteBuffer(bytes: jobBlob), maxAttempts: Int32(max(1, attempts)), timeoutMS: timeoutMS,
            priority: rank, maxRunning: options.maxRunningTasksPerJob.map { Int32(clamping: max(1, $0)) })
        var pieces = InputPieces(inputs.makeIterator(), pool: self)
        // The first piece before the job's row: inputs that cannot be encoded store nothing.
        var piece = try pieces.next()
        let (database, tolerance) = (database, options.outageTolerance)
        let jobID = try await database.retryingThroughOutages("submitting a job", tolerance: tolerance) {
            try await submission.storeJob(in: database)
        }
        var total = 0
        do {
            while !piece.isEmpty {
                let (first, rows) = (total, piece)
                try await database.retryingThroughOutages("storing tasks \(first)... of job \(jobID)", tolerance: tolerance) {
                    try await submission.storePiece(jobID: jobID, first: first, inputs: rows, in: database)
                }
                total += piece.count
                piece = try pieces.next()
            }
            let stored = total
            try await database.retryingThroughOutages("opening job \(jobID)", tolerance: tolerance) {
                try await submission.open(jobID: jobID, total: stored, in: database)
            }
        } catch {
            // Detached: a cancelled submission removes its job too.
            await Task.detached {
                try? await database.retryingThroughOutages("removing job \(jobID), whose submission failed",
                                                           tolerance: min(tolerance, .seconds(10))) {
                    try await submission.remove(jobID: jobID, in: database)
                }
            }.value
            throw error
        }
        database.logger.debug("job submitted", metadata: ["job": "\(jobID)", "tasks": "\(total)"])
        return DistributedJob(id: jobID, total: total, jobName: jobName, pool: self)
    }

    /// The handle of a job submitted earlier (by this process or another one, such as a
    /// submitter that crashed): its outcomes so far and the rest as they come.
    public func attach<Output: Codable & Sendable>(jobID: Int64, outputType: Output.Type = Output.self)
        async throws -> DistributedJob<Output> {
        for try await (total, name, storedType) in try await database.execute(
            "SELECT total, job_name, output_type FROM mp_jobs WHERE id = \(jobID) AND queue = \(queue)"
        ).decode((Int32, String, String).self) {
            let expected = _mangledTypeName(Output.self) ?? String(reflecting: Output.self)
            guard storedType == expected else {
                throw DistributedPoolError.outputTypeMismatch(expected: String(reflecting: Output.self), found: storedType)
            }
            return DistributedJob(id: jobID, total: Int(total), jobName: name, pool: self)
        }
        throw DistributedPoolError.unknownJob(jobID)
    }

    /// Cancels a job: its queued tasks are dropped, and hosts kill the workers running its tasks.
    public func cancel(jobID: Int64) async throws {
        let database = database
        _ = try await database.retryingThroughOutages("cancelling job \(jobID)", tolerance: options.outageTolerance) {
            try await database.execute("""
            WITH job AS (UPDATE mp_jobs SET state = 'cancelled', finished_at = now()
                         WHERE id = \(jobID) AND state IN ('loading', 'running') RETURNING id),
                 tasks AS (UPDATE mp_tasks SET state = 'cancelled', lease_until = NULL
                           WHERE job_id = \(jobID) AND state IN ('pending', 'running') RETURNING 1)
            SELECT (SELECT count(*) FROM tasks), pg_notify('mp_cancel', \(String(jobID))), pg_notify('mp_results', \(String(jobID)))
            """).collect().count
        }
        database.logger.debug("job cancelled", metadata: ["job": "\(jobID)"])
    }

    /// What the queue holds now (the same as `mp-postgres status`).
    public func status() async throws -> QueueStatus {
        let (database, queue) = (database, queue)
        return try await database.retryingThroughOutages("reading the status of queue \(queue)", tolerance: options.outageTolerance) {
            try await QueueStatus.read(database, queue: queue)
        }
    }

    /// Removes jobs that finished or were cancelled more than `age` ago, with their tasks.
    /// Worker hosts do this on their own for their retention setting.
    @discardableResult
    public func removeFinishedJobs(olderThan age: Duration) async throws -> Int {
        try await Retention.removeFinishedJobs(database, queue: queue, olderThan: age)
    }

    func checkSize(_ bytes: Int) throws {
        if bytes > options.maxPayloadBytes {
            throw DistributedPoolError.payloadTooLarge(bytes: bytes, limit: options.maxPayloadBytes)
        }
    }
}
#endif  // Postgres
