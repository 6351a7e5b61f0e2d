#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// A round in progress: its job, hosts, collector and the faults injected so far.
struct ChaosRound {
    var fault: ChaosFault
    var queue: String
    var journal: String
    var jobID: Int64
    var pool: DistributedProcessPool
    var fleet: ChaosFleet
    var ledger: ChaosLedger
    var injected: [Injected] = []
    /// Jobs of another build submitted during the round (mixed builds).
    var others: [OtherJob] = []

    struct Injected {
        var start: ContinuousClock.Instant
        var end: ContinuousClock.Instant
        /// The tasks the victim host held at the start (host faults).
        var held: Set<Int> = []
        /// Whether the job as a whole stalled (a server fault): its recovery is measured.
        var stallsTheJob: Bool
    }

    struct OtherJob {
        var job: ChaosJob
        var jobID: Int64
        var ledger: ChaosLedger
        var pool: DistributedProcessPool
        var collector: Task<Void, Never>
        var hostID: String
    }
}

extension ChaosRunner {
    /// Injects one fault of the round's kind now.
    func inject(_ fault: ChaosFault, into round: inout ChaosRound, random: inout ChaosRandom,
                report: inout ChaosRoundReport) async throws {
        let at = "at \(round.ledger.delivered)/\(round.ledger.total)"
        let lease = Duration.milliseconds(Int64(options.leaseSeconds * 1000))
        switch fault {
        case .serverRestart, .large:
            let server = try requireServer(fault)
            let down = Duration.milliseconds(Int.random(in: 200...2_500, using: &random))
            let start = ContinuousClock.now
            try await server.restart(down: down)
            round.injected.append(.init(start: start, end: .now, stallsTheJob: true))
            report.notes.append("server restarted \(at), down \(ChaosSummary.seconds(down))")
        case .serverKill:
            let server = try requireServer(fault)
            let down = Duration.milliseconds(Int.random(in: 0...1_000, using: &random))
            let start = ContinuousClock.now
            try server.killPostmaster()
            try await Task.sleep(for: down)
            try server.startAgain()
            round.injected.append(.init(start: start, end: .now, stallsTheJob: true))
            report.notes.append("postmaster killed \(at), started again after \(ChaosSummary.seconds(.now - start))")
        case .hostFreeze:
            guard let held = try await seizeVictim(round) else { return noVictim(&report) }
            let start = ContinuousClock.now
            let frozen = lease * 2 + .milliseconds(Int.random(in: 0...1_000, using: &random))
            try await Task.sleep(for: frozen)
            round.fleet.victim.signal(SIGCONT)
            round.injected.append(.init(start: start, end: .now, held: held, stallsTheJob: false))
            report.notes.append("host frozen \(at) holding \(held.count) tasks, for \(ChaosSummary.seconds(frozen))")
        case .hostCut:
            guard let namespace = round.fleet.namespace else { throw Unavailable(fault: fault, why: "no namespace") }
            guard let held = try await seizeVictim(round) else { return noVictim(&report) }
            let start = ContinuousClock.now
            try namespace.setLink(up: false)
            round.fleet.victim.signal(SIGCONT)
            let cut = lease * 2 + .milliseconds(Int.random(in: 0...1_000, using: &random))
            try await Task.sleep(for: cut)
            try namespace.setLink(up: true)
            round.injected.append(.init(start: start, end: .now, held: held, stallsTheJob: false))
            report.notes.append("host cut off \(at) holding \(held.count) tasks, for \(ChaosSummary.seconds(cut))")
        case .hostKill:
            guard let held = try await seizeVictim(round) else { return noVictim(&report) }
            let start = ContinuousClock.now
            try round.fleet.replaceVictim()
            round.injected.append(.init(start: start, end: .now, held: held, stallsTheJob: false))
            report.notes.append("host killed \(at) holding \(held.count) tasks; a replacement started")
        case .mixedBuild:
            round.others.append(try await joinOtherBuild(round, random: &random))
            report.notes.append("a host and a job of another build joined \(at)")
        case .poison:
            break
        }
    }

    private func requireServer(_ fault: ChaosFault) throws -> ThrowawayServer {
        guard let server = options.server else { throw Unavailable(fault: fault, why: "no server to control") }
        return server
    }

    private func noVictim(_ report: inout ChaosRoundReport) {
        report.notes.append("the job ended before the victim held a task: nothing injected")
    }

    /// Freezes the victim (SIGSTOP) at a moment it holds tasks of the job (a host holds a task
    /// per worker plus a prefetch, so between two claims it may hold none), and returns those
    /// tasks; nil if the job ends first. The victim is left stopped.
    func seizeVictim(_ round: ChaosRound) async throws -> Set<Int>? {
        let victim = round.fleet.victim
        while !round.ledger.ended {
            victim.signal(SIGSTOP)
            var held: Set<Int> = []
            for try await index in try await client.query("""
                SELECT idx FROM mp_tasks WHERE job_id = \(round.jobID) AND state = 'running' AND host LIKE \("%-\(victim.pid)-%")
                """, logger: Self.silent).decode(Int32.self) {
                held.insert(Int(index))
            }
            if !held.isEmpty { return held }
            victim.signal(SIGCONT)
            try await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    /// A host of another build joins the queue, and a job of that build is submitted.
    private func joinOtherBuild(_ round: ChaosRound, random: inout ChaosRandom) async throws -> ChaosRound.OtherJob {
        let host = try SpawnedProgram.host(try otherBuild(), url: options.url, queue: round.queue, processes: 1,
                                           leaseSeconds: options.leaseSeconds, claimBatch: options.claimBatch)
        round.fleet.add(host)
        var identity: (id: String, build: String)?
        try await waitUntil(.seconds(60), "the other build's host registering") {
            for try await row in try await client.query("""
                SELECT id, build_id FROM mp_hosts WHERE queue = \(round.queue) AND pid = \(Int32(host.pid))
                """, logger: Self.silent).decode((String, String).self) {
                identity = row
            }
            return identity != nil
        }
        guard let identity else { throw Unavailable(fault: .mixedBuild, why: "the other build's host did not register") }
        let pool = try await DistributedProcessPool(url: options.url, queue: round.queue, options: .init(pollInterval: .milliseconds(100)),
                                                    logger: logger, buildIdentity: identity.build)
        let job = ChaosJob(salt: random.next(), journal: round.journal, napMicroseconds: options.napMicroseconds)
        let tasks = max(1, options.tasks / 3)
        let handle = try await pool.start(job, Array(0..<tasks))
        let ledger = ChaosLedger(total: tasks)
        let collector = Task { await ledger.collect(handle) }
        return .init(job: job, jobID: handle.id, ledger: ledger, pool: pool, collector: collector, hostID: identity.id)
    }
}
#endif  // Postgres
