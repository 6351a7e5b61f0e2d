#if Dashboard
import ArgumentParser
import Foundation
import MultiprocessingPostgres
import MultiprocessingPostgresChaos

extension MPPostgres {
    /// The fault-injection suite's long form (its short form is the `Chaos` suite of `swift test`).
    struct Chaos: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run distributed jobs through injected faults; print what was lost, duplicated or wrong.",
            discussion: """
                Each round runs every chosen scenario once: a job of --tasks tasks on --hosts worker hosts \
                (this executable in host mode), with --faults faults at seeded random points: server \
                restarts, postmaster kills, a host frozen (SIGSTOP) or cut off (its network namespace's \
                link down) past its lease, a host killed, poisoned outcomes, a host and a job of another \
                build, and with --large a large job through restarts. Lost, duplicated and wrong must \
                be 0; the exit status is 1 otherwise. By default it starts a throwaway server of its own \
                (initdb + pg_ctl: PostgreSQL's server binaries must be installed); with --url, the \
                scenarios that stop the server or need namespaces are skipped. A round replays with \
                --only <scenario> --seed <its seed> --rounds 1.
                """
        )

        @Option(help: "A database to run against instead of a throwaway server.")
        var url: String?

        @Option(help: "The first round's seed (round r uses seed + r; default: random).")
        var seed: UInt64?

        @Option(help: "Rounds (each runs every chosen scenario).")
        var rounds = 3

        @Option(help: "Tasks per job.")
        var tasks = 2_000

        @Option(help: "Worker hosts per round (one local worker each).")
        var hosts = 2

        @Option(help: "Faults per round, at that many random points of its job.")
        var faults = 3

        @Option(help: "Scenarios, comma-separated (default: all): \(ChaosFault.allCases.map(\.rawValue).joined(separator: ", ")).")
        var only: String?

        @Option(help: "Tasks of the large scenario's job (0: no large scenario).")
        var large = 0

        @Option(help: "How long each task naps, in microseconds.")
        var napMicroseconds = 2_000

        @Option(help: "The hosts' lease, in seconds (a frozen or cut-off host is held past it).")
        var leaseSeconds = 2.0

        @Option(help: "The script that makes the throwaway server.")
        var serverScript = ThrowawayServer.defaultScript

        func run() async throws {
            let chosen = try scenarios()
            let firstSeed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
            var server: ThrowawayServer?
            if url == nil {
                let directory = "/tmp/mp-chaos-\(getpid())"
                server = try ThrowawayServer.start(script: serverScript, directory: directory)
                print("throwaway server in \(directory)")
            }
            defer { server?.remove(script: serverScript) }
            guard let target = url ?? server?.url else { return }
            let runner = try ChaosRunner(options: .init(
                url: target, server: server, hosts: hosts, tasks: tasks, largeTasks: large,
                napMicroseconds: napMicroseconds, faultsPerRound: faults, leaseSeconds: leaseSeconds))
            defer { runner.close() }
            print("chaos: \(rounds) rounds of \(chosen.map(\.rawValue).joined(separator: ", ")); \(tasks) tasks, "
                + "\(hosts) hosts, \(faults) faults per round, lease \(leaseSeconds) s, seeds from \(firstSeed)")
            var reports: [ChaosRoundReport] = []
            var skipped: Set<ChaosFault> = []
            for round in 0..<rounds {
                for fault in chosen where !skipped.contains(fault) {
                    if let why = runner.unavailability(fault) {
                        print("skipped \(fault.rawValue): \(why)")
                        skipped.insert(fault)
                        continue
                    }
                    let report = try await runner.run(fault, seed: firstSeed &+ UInt64(round))
                    reports.append(report)
                    print("round \(round + 1) \(report)")
                    for note in report.notes where !report.isClean || !note.contains("\n") {
                        print("    \(note)")
                    }
                }
            }
            if url != nil { try? await runner.removeRecorder() }
            print("\nsummary (recovery: from a server fault's end to the first result after it; stranded: from a host "
                + "fault's start until every task the host held then had its result)")
            for summary in ChaosSummary.of(reports) { print(summary) }
            let unclean = reports.filter { !$0.isClean }
            if !unclean.isEmpty {
                print("\(unclean.count) rounds lost, duplicated or got wrong results: replay with --only <scenario> --seed <seed> --rounds 1")
                throw ExitCode(1)
            }
        }

        private func scenarios() throws -> [ChaosFault] {
            guard let only else { return ChaosFault.allCases.filter { $0 != .large || large > 0 } }
            return try only.split(separator: ",").map { name in
                guard let fault = ChaosFault(rawValue: String(name.trimmingCharacters(in: .whitespaces))) else {
                    throw ValidationError("no scenario \(name); there are \(ChaosFault.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return fault
            }
        }
    }
}
#endif  // Dashboard
