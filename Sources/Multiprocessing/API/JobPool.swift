/// The calls every pool of workers offers, whether its workers are this machine's processes
/// (``ProcessPool``) or hosts that share a database (`DistributedProcessPool` of the
/// `MultiprocessingPostgres` library). Code written against `some JobPool` moves from one to
/// the other by changing the line that creates the pool.
///
/// ```swift
/// func squares(on pool: some JobPool) async throws -> [Int] {
///     try await pool.map(Square(), Array(1...100))
/// }
/// ```
public protocol JobPool: Sendable {
    /// Runs `job` on every input and returns the outputs in input order (Python's `Pool.map`).
    func map<J: Job>(
        _ job: J, _ inputs: some Sequence<J.Input>, chunkSize: Int?,
        timeout: Duration?, retries: Int?, progress: ProgressReporter?
    ) async throws -> [J.Output]

    /// Yields the outputs in input order as they are ready (Python's `Pool.imap`).
    func imap<J: Job, S: Sequence & Sendable>(
        _ job: J, _ inputs: S, chunkSize: Int, timeout: Duration?, retries: Int?, progress: ProgressReporter?
    ) throws -> ResultStream<J.Output> where S.Element == J.Input

    /// Yields the outputs as they complete (Python's `Pool.imap_unordered`).
    func imapUnordered<J: Job, S: Sequence & Sendable>(
        _ job: J, _ inputs: S, chunkSize: Int, timeout: Duration?, retries: Int?, progress: ProgressReporter?
    ) throws -> ResultStream<J.Output> where S.Element == J.Input

    /// Runs `job` on one input and returns its output (Python's `Pool.apply`).
    func apply<J: Job>(_ job: J, _ input: J.Input, timeout: Duration?, retries: Int?) async throws -> J.Output

    /// Starts `job` on one input and returns at once with a handle (Python's `apply_async`).
    func submit<J: Job>(_ job: J, _ input: J.Input, timeout: Duration?, retries: Int?) throws -> JobHandle<J.Output>
}

// The short forms, for code that holds `some JobPool` or `any JobPool` (a concrete pool has
// its own, with default arguments).
extension JobPool {
    /// `map` with the pool's defaults: no timeout or retries but the pool's, no progress.
    public func map<J: Job>(_ job: J, _ inputs: some Sequence<J.Input>) async throws -> [J.Output] {
        try await map(job, inputs, chunkSize: nil, timeout: nil, retries: nil, progress: nil)
    }

    /// `imap` with the pool's defaults, one item per task.
    public func imap<J: Job, S: Sequence & Sendable>(_ job: J, _ inputs: S) throws -> ResultStream<J.Output>
        where S.Element == J.Input {
        try imap(job, inputs, chunkSize: 1, timeout: nil, retries: nil, progress: nil)
    }

    /// `imapUnordered` with the pool's defaults, one item per task.
    public func imapUnordered<J: Job, S: Sequence & Sendable>(_ job: J, _ inputs: S) throws -> ResultStream<J.Output>
        where S.Element == J.Input {
        try imapUnordered(job, inputs, chunkSize: 1, timeout: nil, retries: nil, progress: nil)
    }

    /// `apply` with the pool's defaults.
    public func apply<J: Job>(_ job: J, _ input: J.Input) async throws -> J.Output {
        try await apply(job, input, timeout: nil, retries: nil)
    }

    /// `submit` with the pool's defaults.
    public func submit<J: Job>(_ job: J, _ input: J.Input) throws -> JobHandle<J.Output> {
        try submit(job, input, timeout: nil, retries: nil)
    }
}

extension ProcessPool: JobPool {}
