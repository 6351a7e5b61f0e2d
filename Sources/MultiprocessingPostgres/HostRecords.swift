#if Postgres
import PostgresNIO

/// A task a host claimed.
struct ClaimedTask: Sendable {
    var jobID: Int64
    var index: Int32
    var input: ByteBuffer

    var key: TaskKey { TaskKey(jobID: jobID, index: index) }
}

/// A task's row key.
struct TaskKey: Hashable, Sendable {
    var jobID: Int64
    var index: Int32
}

/// A job's row, as a host needs it.
struct HostJob: Sendable {
    var id: Int64
    var buildIdentity: String
    var typeName: String
    var name: String
    var blob: [UInt8]
    var timeoutMS: Int64?
    var cancelled: Bool
}

/// How a task ended on this host, to be written back.
struct TaskOutcomeRecord: Sendable {
    /// `retry` costs the attempt (the task's fault, or the attempt's: a crash, a timeout);
    /// `release` hands the task back as if never claimed (the host's fault: it cannot run it).
    enum Kind: String { case done, failed, retry, release }
    var jobID: Int64
    var index: Int32
    var kind: Kind
    var output: [UInt8] = []
    var errorType = ""
    var error = ""

    var key: TaskKey { TaskKey(jobID: jobID, index: index) }
}
#endif  // Postgres
