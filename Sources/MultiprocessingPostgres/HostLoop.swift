#if Postgres
import Foundation
import Logging
import Multiprocessing
import PostgresNIO
import Synchronization

/// The claim, run and write-back loops of one worker host.
final class HostLoop: Sendable {
    let database: QueueDatabase
    let pool: ProcessPool
    let queue: String
    let options: WorkerHost.Options
    let logger: Logger
    let hostID: String
    let hostName: String
    let pacer: ClaimPacer
    let state = Mutex(State())
    let claimBell = Doorbell()
    /// Whether the last claim saw an open job with a limit on its running tasks.
    let limitedJobsOpen = Atomic<Bool>(false)
    let claimRounds = Atomic<UInt64>(0)
    let writeBell = Doorbell()

    /// Job rows kept beyond those with tasks running here (the cache is trimmed to this).
    static let cachedJobsLimit = 256
    /// A host claims nothing while this many outcomes wait to be written (the database is slow
    /// or refusing): its buffer holds at most this plus one claim's worth.
    var outcomeBufferLimit: Int { max(options.claimBatch, pool.workerCount) * 4 }

    struct State {
        var inFlight = 0
        /// The rows of jobs this host ran tasks of: those with tasks running here, and up to
        /// ``HostLoop/cachedJobsLimit`` others (trimmed when a group finishes).
        var jobs: [Int64: HostJob] = [:]
        var running: [Int64: [UInt64: Task<Void, Never>]] = [:]
        var nextGroup: UInt64 = 0
        var outcomes: [TaskOutcomeRecord] = []
        var writing = false
        /// Cancelled jobs among those of ``jobs`` (a cancellation of a job this host has not
        /// loaded is not kept: loading it reads its state), so bounded as ``jobs`` is.
        var cancelled: Set<Int64> = []
        /// The tasks this host holds: claimed, and not yet written back. Only their leases are
        /// renewed, so that a task the host lost track of (a claim whose reply was lost, a run
        /// that ended without an outcome) expires and runs elsewhere instead of never.
        var held: Set<TaskKey> = []
        /// Why this host stopped claiming, when its local pool failed.
        var failure: DistributedPoolError?
    }

    /// How long one statement of the host may go unanswered before it is abandoned and tried
    /// again on a fresh connection: a statement sent on a connection that died unseen in a
    /// server restart waited for ever, while the heartbeat renewed its tasks' leases on another
    /// (a black hole). Longer than any lease's third, so that slow answers are not cut.
    var statementLimit: Duration { max(.seconds(10), options.lease) }

    /// `body` bounded by ``statementLimit`` (see ``QueueDatabase/bounded(_:limit:_:)``).
    func bounded<Value: Sendable>(_ operation: String, _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await database.bounded(operation, limit: statementLimit, body)
    }

    init(database: QueueDatabase, pool: ProcessPool, queue: String, options: WorkerHost.Options, logger: Logger) {
        self.database = database
        self.pool = pool
        self.queue = queue
        self.options = options
        self.logger = logger
        hostName = HostLoop.nodeName()
        hostID = "\(hostName)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        // A task per free worker, plus what keeps tiny tasks flowing while the next claim is on its way.
        // Tiny tasks may have two batches claimed beyond the workers, as many as a host held before
        // claims followed the free workers.
        pacer = ClaimPacer(workers: pool.workerCount, maxPrefetch: options.claimBatch * 2)
    }

    /// The machine's name as the kernel has it (`uname`): no DNS look-up, which can hang where
    /// the network has no resolver.
    static func nodeName() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: name.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// What `mp_cancel` carries to ask the host `id` to drain.
    static func drainPayload(_ id: String) -> String { "drain \(id)" }

    var leaseMS: Int64 { Int64(options.lease.components.seconds * 1000 + options.lease.components.attoseconds / 1_000_000_000_000_000) }

    func run() async throws {
        try await database.execute(registerSQL())
        let tasks = NotificationHub(database: database, channel: "mp_tasks")
        tasks.register(claimBell, for: queue)
        // A job's id: cancel it. `drain <host id>` (``DistributedProcessPool/drainHost(id:)``): drain
        // as SIGTERM does, if it names this host (the channel is shared: no connection of its own
        // per host; hosts of older builds ignore a payload that is no number).
        let cancels = database.listen("mp_cancel") { [self] payload in
            if let id = Int64(payload) {
                cancelJob(id)
            } else if payload == Self.drainPayload(hostID) {
                logger.info("worker host draining: asked through the database", metadata: ["host": "\(hostID)"])
                WorkerHost.drain()
                claimBell.ring()
            }
        }
        defer {
            tasks.stop()
            cancels.cancel()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.claimLoop() }
            group.addTask { await self.writeLoop() }
            group.addTask { await self.maintenanceLoop() }
            try await group.next()
            group.cancelAll()
        }
        if WorkerHost.isDraining {
            _ = try? await database.execute("DELETE FROM mp_hosts WHERE id = \(hostID)")
            logger.info("worker host drained: its claimed tasks are done and written", metadata: ["host": "\(hostID)"])
        }
    }
}
#endif  // Postgres
