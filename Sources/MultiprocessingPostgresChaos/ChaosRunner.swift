#if Postgres
import Foundation
import Logging
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Synchronization

/// The distributed pool's fault-injection runner: it runs a distributed job whose every result
/// can be checked (``ChaosJob``) on worker hosts it starts as separate processes, injects a
/// ``ChaosFault`` at seeded random points of it, and reports what was lost, delivered or
/// recorded twice, or wrong (all must be 0) and how long recovery took (``ChaosRoundReport``).
///
/// The hosts are ``Options/hostExecutable`` started in host mode: it must be an executable
/// that links this module (so that it knows ``ChaosJob``) and be this process's own build
/// (hosts claim only their build's jobs), which the default, this executable, is. Server faults
/// need a ``ThrowawayServer`` (its folder); a cut-off host needs network namespaces too (root,
/// iproute2) and that server (it listens on the namespaces' addresses).
public final class ChaosRunner: Sendable {
    /// What a round runs on, and how big it is.
    public struct Options: Sendable {
        /// The database (the throwaway server's URL when ``server`` is given).
        public var url: String
        /// The server to stop, kill and start again (nil: those faults are unavailable).
        public var server: ThrowawayServer?
        /// The executable hosts are started from.
        public var hostExecutable: String
        /// Worker hosts per round (one local worker each).
        public var hosts: Int
        /// Tasks of a round's job.
        public var tasks: Int
        /// Tasks of ``ChaosFault/large``'s job.
        public var largeTasks: Int
        /// How long a task takes.
        public var napMicroseconds: Int
        /// Faults injected per round (at that many random points of the job).
        public var faultsPerRound: Int
        /// The hosts' lease: a frozen or cut-off host is held past it.
        public var leaseSeconds: Double
        /// The hosts' claim batch.
        public var claimBatch: Int
        /// How long a round's job may take before the round counts as not completed.
        public var hangGuard: Duration
        /// Where journals and the copy that is another build go.
        public var workDirectory: String
        /// Breaks the round on purpose, to show that its checks catch a loss: one task's
        /// write-back to a final state is skipped every time (a trigger), so that its outcome
        /// never arrives and the round must report it lost. For the runner's own tests.
        public var dropsOneOutcome: Bool

        public init(url: String, server: ThrowawayServer? = nil, hostExecutable: String = SpawnedProgram.currentExecutable,
                    hosts: Int = 2, tasks: Int = 1_500, largeTasks: Int = 100_000, napMicroseconds: Int = 2_000,
                    faultsPerRound: Int = 1, leaseSeconds: Double = 2, claimBatch: Int = 32,
                    hangGuard: Duration = .seconds(180), workDirectory: String = NSTemporaryDirectory(),
                    dropsOneOutcome: Bool = false) {
            self.dropsOneOutcome = dropsOneOutcome
            self.url = url
            self.server = server
            self.hostExecutable = hostExecutable
            self.hosts = hosts
            self.tasks = tasks
            self.largeTasks = largeTasks
            self.napMicroseconds = napMicroseconds
            self.faultsPerRound = faultsPerRound
            self.leaseSeconds = leaseSeconds
            self.claimBatch = claimBatch
            self.hangGuard = hangGuard
            self.workDirectory = workDirectory
        }
    }

    /// A fault this runner cannot inject here, and why.
    public struct Unavailable: Error, CustomStringConvertible {
        public var fault: ChaosFault
        public var why: String
        public var description: String { "\(fault.rawValue) cannot run here: \(why)" }
    }

    public let options: Options
    let logger: Logger
    let client: PostgresClient
    private let clientRun: Task<Void, Never>
    private let prepared = Mutex(false)
    private let namespaceCounter = Mutex(0)
    /// The copy of the host executable that is another build (made on first use).
    private let otherBuildPath = Mutex<String?>(nil)

    /// Errors only: an outage's reconnection attempts are what the runner causes.
    public static var defaultLogger: Logger {
        var logger = Logger(label: "multiprocessing.postgres.chaos")
        logger.logLevel = .error
        return logger
    }

    /// A logger that drops everything: the runner's own queries need none.
    static let silent = Logger(label: "multiprocessing.postgres.chaos.silent", factory: { _ in SwiftLogNoOpLogHandler() })

    /// `logger` is the runner's pools' (the submitter's side; hosts log to their own stderr).
    public init(options: Options, logger: Logger = ChaosRunner.defaultLogger) throws {
        guard options.hosts >= 1, options.tasks >= 1 else {
            throw DistributedPoolError.invalidConfiguration("a chaos round needs a host and a task")
        }
        self.options = options
        self.logger = logger
        var configuration = try PostgresConnectionSettings(url: options.url).clientConfiguration
        configuration.options.maximumConnections = 2
        let client = PostgresClient(configuration: configuration, backgroundLogger: Self.silent)
        self.client = client
        clientRun = Task { await client.run() }
    }

    /// Closes the runner's connections and removes the other build's copy.
    public func close() {
        clientRun.cancel()
        if let path = otherBuildPath.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
    }

    deinit {
        close()
    }

    /// Why `fault` cannot run with these options (nil: it can).
    public func unavailability(_ fault: ChaosFault) -> String? {
        if fault.needsServerControl && options.server == nil { return "it needs a throwaway server to stop and start" }
        if fault.needsNamespaces && !NetworkNamespace.isAvailable { return "it needs root and /usr/sbin/ip (network namespaces)" }
        return nil
    }

    /// Removes the trigger and table that count recorded results (the runner installs them on
    /// first use; a throwaway server need not bother).
    public func removeRecorder() async throws {
        try await ChaosRecorder.remove(client)
        prepared.withLock { $0 = false }
    }

    private func prepare() async throws {
        guard !prepared.withLock({ $0 }) else { return }
        // The queue's tables first (a pool migrates them), then the trigger on them.
        let pool = try await DistributedProcessPool(url: options.url, queue: "chaos-prepare", logger: logger)
        pool.close()
        try await ChaosRecorder.install(client)
        prepared.withLock { $0 = true }
    }

    /// Runs one round of `fault`, its random points drawn from `seed`. Throws
    /// ``Unavailable`` if the fault cannot be injected here, and when the round cannot be set
    /// up (a host that does not start); what the round found is in the report.
    public func run(_ fault: ChaosFault, seed: UInt64) async throws -> ChaosRoundReport {
        if let why = unavailability(fault) { throw Unavailable(fault: fault, why: why) }
        try await prepare()
        let began = ContinuousClock.now
        var random = ChaosRandom(seed: seed)
        let tasks = fault == .large ? options.largeTasks : options.tasks
        var report = ChaosRoundReport(fault: fault, seed: seed, tasks: tasks)
        let queue = "chaos-\(fault.rawValue)-\(UUID().uuidString.prefix(8).lowercased())"
        let journal = (options.workDirectory as NSString).appendingPathComponent("\(queue).journal")
        defer { try? FileManager.default.removeItem(atPath: journal) }
        let job = makeJob(fault, journal: journal, random: &random)

        let fleet = try await startFleet(fault, queue: queue)
        defer { fleet.stop() }
        let pool = try await DistributedProcessPool(url: options.url, queue: queue, options: .init(pollInterval: .milliseconds(100)),
                                                    logger: logger)
        defer { pool.close() }
        try await waitUntil(.seconds(60), "the hosts registering") { try await pool.status().hosts.count >= fleet.count }

        if options.dropsOneOutcome { try await ChaosSabotage.install(client, queue: queue, index: tasks / 2) }
        let handle: DistributedJob<UInt64>
        do {
            handle = try await pool.start(job, Array(0..<tasks))
        } catch {
            if options.dropsOneOutcome { try? await ChaosSabotage.remove(client, queue: queue) }
            throw error
        }
        let ledger = ChaosLedger(total: tasks)
        let collector = Task { await ledger.collect(handle) }
        var round = ChaosRound(fault: fault, queue: queue, journal: journal, jobID: handle.id, pool: pool, fleet: fleet, ledger: ledger)
        let count = fault == .poison ? 0 : fault == .mixedBuild ? 1 : options.faultsPerRound
        let points = (0..<count).map { _ in Double.random(in: 0.05...0.8, using: &random) }.sorted()
        for point in points {
            let target = Int(point * Double(tasks))
            try await waitUntil(options.hangGuard, "progress to \(target) tasks") { ledger.delivered >= target || ledger.ended }
            if ledger.ended { break }
            try await inject(fault, into: &round, random: &random, report: &report)
        }
        let deadline = began + options.hangGuard
        while !ledger.ended && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if !ledger.ended {
            report.notes.append("the job did not end within \(options.hangGuard): \(ledger.delivered) of \(tasks) outcomes arrived")
            collector.cancel()
        }
        for other in round.others {
            let ended = ContinuousClock.now + .seconds(60)
            while !other.ledger.ended && ContinuousClock.now < ended { try await Task.sleep(for: .milliseconds(20)) }
            if !other.ledger.ended { other.collector.cancel() }
            await other.collector.value
            other.pool.close()
        }
        await collector.value
        if options.dropsOneOutcome { try await ChaosSabotage.remove(client, queue: queue) }
        try await check(job, round, report: &report)
        if !report.isClean { await describeFailure(round, report: &report) }
        report.elapsed = ContinuousClock.now - began
        return report
    }

    /// The job of a round: the poison scenario's has poisoned inputs; the large one's tasks are tiny.
    func makeJob(_ fault: ChaosFault, journal: String, random: inout ChaosRandom) -> ChaosJob {
        var job = ChaosJob(salt: random.next(), journal: journal, napMicroseconds: fault == .large ? 0 : options.napMicroseconds)
        if fault == .poison {
            job.poisonModulus = Int.random(in: 40...90, using: &random)
            job.throwResidue = Int.random(in: 0..<job.poisonModulus, using: &random)
            job.crashResidue = (job.throwResidue + Int.random(in: 1..<job.poisonModulus, using: &random)) % job.poisonModulus
        }
        return job
    }

    /// Polls `condition` every 10 ms until it holds; throws after `timeout`.
    func waitUntil(_ timeout: Duration, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                throw DistributedPoolError.invalidConfiguration("chaos round: \(what) did not happen within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The index of a new network namespace of this process.
    func nextNamespaceIndex() -> Int {
        namespaceCounter.withLock { counter in
            counter += 1
            return 10 + counter % 200
        }
    }

    /// A copy of the host executable with bytes appended: the same types, another build
    /// identity (the hash of its bytes), as a host of the previous deploy would have.
    func otherBuild() throws -> String {
        try otherBuildPath.withLock { path in
            if let path { return path }
            let copy = (options.workDirectory as NSString).appendingPathComponent("mp-chaos-other-build-\(getpid())-\(UUID().uuidString.prefix(8))")
            try FileManager.default.copyItem(atPath: options.hostExecutable, toPath: copy)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: copy))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("another build \(UUID().uuidString)".utf8))
            try handle.close()
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)
            path = copy
            return copy
        }
    }

    /// One number from a query.
    static func number(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int {
        for try await value in try await client.query(query, logger: silent).decode(Int.self) { return value }
        return -1
    }
}
#endif  // Postgres
