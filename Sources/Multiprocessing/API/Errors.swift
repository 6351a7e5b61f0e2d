/// Why a job's item did not produce a result: the error every pool and process call throws
/// for its work. It names the job's type, the item's position, and the cause.
///
/// ```swift
/// do {
///     _ = try await pool.map(Parse(), pages)
/// } catch let failure as JobFailure {
///     print(failure.reason, failure.index ?? -1, failure.stderrTail)
/// }
/// ```
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// The job threw: the thrown error's type and description.
        case threw(errorType: String, message: String)
        /// The worker died while running this item (a trap, a signal, `exit`).
        case crashed(ProcessExitStatus)
        /// The item ran longer than its timeout; its worker was killed.
        case timedOut(Duration)
        /// The worker ran out of the memory its cap allows.
        case outOfMemory(limitBytes: Int)
        /// The caller cancelled the work.
        case cancelled
        /// The pool was terminated before the item finished.
        case poolTerminated
        /// No worker could be started to run it, for a cause that does not pass: workers keep
        /// dying at start-up, or the executable cannot be run (ENOENT, EACCES, ENOEXEC). A
        /// shortage that passes (EMFILE, ENFILE, EAGAIN, ENOMEM) never causes this: the pool
        /// waits it out (see ``ProcessPool/Statistics/spawnFailure``).
        case workerStartFailed(String)
        /// A value could not be encoded or decoded on its way (names which and why).
        case codingFailed(String)
        /// The worker could not find or decode the job type.
        case jobUnavailable(String)
        /// The channel carried a frame that does not make sense; the worker was replaced.
        case protocolViolation(String)
        /// A worker host of a distributed pool reported this attempt's failure (a crash, a
        /// timeout, a host that stopped answering, a task it refused), in its own words.
        case failedOnHost(host: String, cause: String)

        public var description: String {
            switch self {
            case let .threw(errorType, message): return "threw \(errorType): \(message)"
            case let .crashed(status): return "worker crashed: \(status)"
            case let .timedOut(limit): return "timed out after \(limit)"
            case let .outOfMemory(limit): return "out of memory (limit \(limit) bytes)"
            case .cancelled: return "cancelled"
            case .poolTerminated: return "the pool was terminated"
            case let .workerStartFailed(why): return "no worker could start: \(why)"
            case let .codingFailed(why): return "coding failed: \(why)"
            case let .jobUnavailable(why): return "job unavailable in the worker: \(why)"
            case let .protocolViolation(why): return "protocol violation: \(why)"
            case let .failedOnHost(host, cause): return "failed on worker host \(host): \(cause)"
            }
        }
    }

    /// What went wrong (of the last attempt, when there were retries).
    public var reason: Reason
    /// The job's type, as Swift writes it (`MyModule.Square`).
    public var jobType: String
    /// The item's position in the input of a `map` or `imap`; nil for `apply` and targets.
    public var index: Int?
    /// The worker process that ran the item, when one did.
    public var workerPID: Int32?
    /// The last lines the worker wrote to its standard error before it died (the trap message).
    public var stderrTail: [String]
    /// The causes of earlier attempts, oldest first, when the item was retried.
    public var earlierAttempts: [Reason]

    /// A failure of `jobType`'s item `index` (nil for a target or a whole call), for pools of
    /// other kinds that report failures the way the local pool does.
    public init(reason: Reason, jobType: String, index: Int? = nil, workerPID: Int32? = nil,
                stderrTail: [String] = [], earlierAttempts: [Reason] = []) {
        self.reason = reason
        self.jobType = jobType
        self.index = index
        self.workerPID = workerPID
        self.stderrTail = stderrTail
        self.earlierAttempts = earlierAttempts
    }

    /// Every attempt's cause, oldest first.
    public var attempts: [Reason] { earlierAttempts + [reason] }

    public var description: String {
        var text = "\(jobType)"
        if let index { text += " item \(index)" }
        text += ": \(reason)"
        if let workerPID { text += " (worker \(workerPID))" }
        if !earlierAttempts.isEmpty {
            text += "; earlier attempts: " + earlierAttempts.map(\.description).joined(separator: "; ")
        }
        if !stderrTail.isEmpty {
            text += "\n  stderr: " + stderrTail.joined(separator: "\n  stderr: ")
        }
        return text
    }
}

/// A misuse of a pool or process, or a job type the library cannot send.
public enum ProcessPoolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Work was submitted after ``ProcessPool/close()`` or ``ProcessPool/terminate()``.
    case closed
    /// ``ProcessPool/close()`` was called a second time.
    case alreadyClosed
    /// ``ProcessPool/join()`` was called before ``ProcessPool/close()`` or ``ProcessPool/terminate()``.
    case notClosed
    /// The job's type cannot be found by name in a worker.
    case unresolvableJobType(String, reason: String)
    /// A ``ProcessTarget``'s `Output` is neither `Void` nor `Codable`.
    case unsupportedOutputType(String)
    /// The operating system refused to start a worker.
    case spawnFailed(String)
    /// ``WorkerProcess/start()`` was called twice.
    case alreadyStarted
    /// The process has not been started.
    case notStarted
    /// An argument is out of its range (a chunk size of 0, a negative worker count).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .closed: return "the pool is closed: no more work can be submitted"
        case .alreadyClosed: return "the pool was already closed"
        case .notClosed: return "join() needs close() or terminate() first"
        case let .unresolvableJobType(name, reason):
            return "job type \(name) cannot be sent to a worker: \(reason)"
        case let .unsupportedOutputType(name):
            return "output type \(name) must be Void or Codable"
        case let .spawnFailed(why): return "could not start a worker: \(why)"
        case .alreadyStarted: return "the process was already started"
        case .notStarted: return "the process was not started"
        case let .invalidArgument(why): return "invalid argument: \(why)"
        }
    }
}
