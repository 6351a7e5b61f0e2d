#if Postgres
import Foundation
import Logging
import Multiprocessing
import PostgresNIO

/// A machine's share of a distributed pool: it claims batches of a queue's tasks, runs them in
/// a local `ProcessPool` (so a crashing job costs one task here too), and
/// writes their outcomes back.
///
/// Usually entered before `main`: start the program's own executable with
/// ```
/// MULTIPROCESSING_POSTGRES_URL=postgres://user:secret@db/jobs MULTIPROCESSING_POSTGRES_WORKER=images ./app
/// ```
/// and it serves the queue `images` until killed (see ``HostEnvironment`` for the other
/// variables). ``run(url:queue:options:logger:)`` does the same from code.
///
/// Claims take up to ``Options/claimBatch`` tasks at once with `FOR UPDATE SKIP LOCKED`, and no
/// more than the host's free workers can start plus a prefetch measured for tiny tasks (so a
/// host never hoards long tasks while another idles); the highest-priority open jobs first, and
/// jobs of one priority in turn (so a small job behind a big one starts at once). Each
/// claim is a lease of ``Options/lease`` that a heartbeat extends every third of it, for the
/// tasks the host holds (claimed and not yet written back) only. A host that dies stops
/// extending: its tasks run again elsewhere once their leases expire. New tasks and
/// cancellations arrive by LISTEN/NOTIFY; the host polls as well, so a lost notification costs
/// ``Options/pollInterval`` at most.
///
/// A host claims only tasks of jobs submitted by its own build (see the `waitingForBuild` of
/// ``QueueStatus``), so hosts of two builds can serve one queue during a deploy. While the
/// database cannot be used, it goes on running what it holds and tries its claims and
/// write-backs again with back-off (a lease it could not renew in time may lapse: that task
/// runs again, and its result is still recorded once). An outcome the server refuses fails its
/// own task only. If its local pool fails (its workers cannot start), it hands back what it
/// holds without spending attempts and ends with ``DistributedPoolError/localPoolFailed(_:)``.
public enum WorkerHost {
    /// Settings of a worker host.
    public struct Options: Sendable {
        /// Local worker processes (default: the CPUs this process may use).
        public var processes: Int?
        /// The most tasks claimed in one statement (a host also holds no more than its free
        /// workers plus a prefetch for tiny tasks of up to twice this).
        public var claimBatch: Int
        /// How long a claim lasts without a heartbeat.
        public var lease: Duration
        /// How often to look for tasks when no notification came.
        public var pollInterval: Duration
        /// Finished and cancelled jobs older than this are removed.
        public var retention: Duration
        /// Inputs and outputs larger than this fail their task.
        public var maxPayloadBytes: Int
        /// A hard memory cap per local worker (see `ProcessPool.Options.memoryLimitBytes`).
        public var memoryLimitBytes: Int?
        /// How long the first connection may take before the host gives up.
        public var connectTimeout: Duration = .seconds(15)

        /// Settings with the defaults above; give only those you change.
        public init(processes: Int? = nil, claimBatch: Int = 256, lease: Duration = .seconds(30),
                    pollInterval: Duration = .seconds(1), retention: Duration = .seconds(7 * 86_400),
                    maxPayloadBytes: Int = 16 << 20, memoryLimitBytes: Int? = nil) {
            self.processes = processes
            self.claimBatch = claimBatch
            self.lease = lease
            self.pollInterval = pollInterval
            self.retention = retention
            self.maxPayloadBytes = maxPayloadBytes
            self.memoryLimitBytes = memoryLimitBytes
        }
    }

    private static let draining = OnceFlag()

    /// Asks every worker host of this process to stop claiming, finish the tasks it holds, write
    /// them back and return (what SIGTERM and SIGINT do to a host entered from the environment).
    public static func drain() {
        draining.set()
    }

    static var isDraining: Bool { draining.isSet }

    /// Serves `queue` until the calling task is cancelled (its claimed tasks then run again
    /// elsewhere once their leases expire) or ``drain()`` is called (they are finished first).
    public static func run(url: String, queue: String, options: Options = Options(),
                           logger: Logger = Logger(label: "multiprocessing.postgres.host")) async throws {
        guard options.claimBatch >= 1 else { throw DistributedPoolError.invalidConfiguration("claimBatch must be at least 1") }
        let settings = try PostgresConnectionSettings(url: url)
        let database = QueueDatabase(settings: settings, logger: logger)
        defer { database.shutdown() }
        try await Schema.migrate(database, settings: settings, timeout: options.connectTimeout)
        let pool = try ProcessPool(workers: options.processes,
                                   options: .init(memoryLimitBytes: options.memoryLimitBytes, retries: 0))
        let loop = HostLoop(database: database, pool: pool, queue: queue, options: options, logger: logger)
        logger.info("worker host serving", metadata: ["host": "\(loop.hostID)", "queue": "\(queue)",
                                                      "database": "\(settings)", "workers": "\(pool.workerCount)"])
        do {
            try await loop.run()
        } catch {
            await pool.terminate()
            throw error
        }
        await pool.terminate()
    }
}
#endif  // Postgres
