/// Settings a pool's supervisor works by, resolved from the public options.
struct PoolConfiguration: Sendable {
    var workers: Int
    var launch = WorkerLaunchConfiguration()
    /// The initializer target's type name and encoded value.
    var initializer: (typeName: String, blob: [UInt8])?
    var maxTasksPerWorker: Int?
    var recycleAboveResidentBytes: Int?
    /// Consecutive workers that die before they are ready, after which the pool gives up.
    var startupFailureLimit = 3
    /// How long a worker asked to stop with SIGTERM has before SIGKILL.
    var killGrace: Duration = .milliseconds(100)
    /// How long a new worker has to say hello before it counts as failed to start.
    var helloTimeout: Duration = .seconds(10)
    /// The `pool` dimension of its metrics.
    var metricsName = "default"
}

/// Why the supervisor itself is stopping a worker: decides whom the death is blamed on.
enum KillReason {
    /// An item ran past its call's timeout.
    case timeout(taskID: UInt64, offset: Int, limit: Duration)
    /// Its running task belongs to a call that was cancelled.
    case cancelled(callID: UInt64)
    /// It reached its task limit or memory bound; a fresh worker replaces it.
    case recycle
    /// It failed to start properly (bad handshake, initializer failed).
    case startupFailure(String)
    /// It sent a frame that makes no sense.
    case protocolViolation(String)
    /// The pool is being terminated.
    case terminate

    var isProtocolViolation: Bool {
        if case .protocolViolation = self { return true }
        return false
    }
}

/// A pool's record of one of its workers. Confined to the reactor thread.
final class WorkerSlot {
    enum Phase: Equatable {
        /// Spawned; its hello has not arrived.
        case starting
        /// Running the pool's initializer.
        case initializing(taskID: UInt64)
        case ready
        /// Takes no new tasks; told to exit once it has none.
        case retiring
        /// Told to exit, or being killed.
        case exiting
    }

    let connection: WorkerConnection
    var phase: Phase = .starting
    var inFlight: [InFlightTask] = []
    var knownJobs = Set<UInt32>()
    var tasksDone = 0
    var killReason: KillReason?
    /// The running item as last seen in the status page, and since when (for timeouts).
    var observed: (current: UInt64, since: UInt64)?

    init(connection: WorkerConnection) {
        self.connection = connection
    }

    var pid: Int32 { connection.pid }

    /// The task and item the worker is running, by its status page, and for how long the
    /// parent has seen it running (from the first look that saw it: at most one look late).
    func runningItem(now: UInt64) -> (task: InFlightTask, offset: Int, runningFor: UInt64)? {
        guard let status = connection.status(), status.running,
              let task = inFlight.first(where: { StatusPage.tag($0.taskID) == status.taskTag }) else {
            observed = nil
            return nil
        }
        if observed?.current != status.current { observed = (status.current, now) }
        return (task, Int(status.itemOffset), now &- (observed?.since ?? now))
    }

    /// Became ready at least once: its death is not a start-up failure.
    var startedUp = false
}
