#if Tools
import ArgumentParser
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

@main
struct MPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mp-bench",
        abstract: "swift-multiprocessing side by side with Python's multiprocessing, on this machine.",
        discussion: """
        Runs every scenario for ours and for the Python peer (Benchmarks/python), alternating \
        them, and prints one table: medians with min-max, the ratio (> 1: ours is better) and \
        the goal of issue 4. BENCHMARKS.md says what each scenario measures and how.
        """,
        subcommands: [Measure.self, Spin.self]
    )

    @Option(help: "Runs per side and scenario (default 5; 1 with --quick).")
    var runs: Int?

    @Option(help: ArgumentHelp("Also write the results as JSON to this file.", valueName: "path"))
    var json: String?

    @Flag(help: "Small sizes, one run each: checks that the tool still works (CI).")
    var quick = false

    @Option(help: ArgumentHelp("Only these scenarios (or the scenarios of these rows), comma-separated.",
                               valueName: "name[,name]"))
    var only: String?

    @Flag(help: "List the scenarios and exit.")
    var list = false

    @Option(help: "The Python interpreter of the peer.")
    var python = "python3"

    @Option(help: ArgumentHelp("The directory of the peer's scripts (default: Benchmarks/python of this repository).",
                               valueName: "directory"))
    var peerDirectory: String?

    @Option(help: ArgumentHelp("Also run the PostgreSQL scenarios (pg-tiny against Celery + Redis, pg-recovery) "
                               + "against this database; Benchmarks/postgres/throwaway-server.sh starts one.",
                               valueName: "url"))
    var postgres: String?

    @Flag(help: ArgumentHelp("Also run the extra peers (concurrent.futures, loky, joblib, mpire, Ray, Dask, Python 3.13); those "
                             + "whose interpreter or library is missing are skipped (Benchmarks/peers/setup.sh)."))
    var peers = false

    @Option(help: ArgumentHelp("Python 3.13 for --peers (default: pyenv's 3.13.0).", valueName: "path"))
    var python313: String?

    @Option(help: ArgumentHelp("Kill a run that takes longer than this (default: 600 s; 300 s with --quick).",
                               valueName: "seconds"))
    var timeLimit: Double?

    func validate() throws {
        if let runs, runs < 1 { throw ValidationError("--runs must be at least 1") }
    }

    func run() async throws {
        if list {
            for scenario in ScenarioRegistry.all { print("\(scenario.name)\n    \(scenario.summary)") }
            return
        }
        var scenarios = ScenarioRegistry.all
        if let only {
            let names = only.split(separator: ",").map { $0.trimmingSpaces() }
            let unknown = names.filter { ScenarioRegistry.named($0) == nil }
            guard unknown.isEmpty else {
                throw ValidationError("unknown scenario \(unknown.joined(separator: ", ")); the scenarios are "
                                      + ScenarioRegistry.all.map { $0.name }.joined(separator: ", "))
            }
            let chosen = Set(names.compactMap { ScenarioRegistry.named($0)?.name })
            scenarios = scenarios.filter { chosen.contains($0.name) }
        }
        if let postgres {
            let measuring = Locations.sibling("mp-bench-postgres")
            if scenarios.contains(where: { $0.needsPostgres }) && access(measuring, X_OK) != 0 {
                throw ValidationError("\(measuring) is missing: swift build -c release --enable-all-traits --product mp-bench-postgres")
            }
            // The measuring processes (and the worker hosts they start) read it from the environment.
            setenv(postgresURLVariable, postgres, 1)
        } else {
            let skipped = scenarios.filter { $0.needsPostgres }.map { $0.name }
            if only != nil && !skipped.isEmpty {
                throw ValidationError("\(skipped.joined(separator: ", ")) need a database: pass --postgres URL")
            }
            scenarios = scenarios.filter { !$0.needsPostgres }
        }
        let root = Locations.repositoryRoot()
        guard let directory = peerDirectory ?? root.map({ $0 + "/Benchmarks/python" }) else {
            throw ValidationError("cannot find Benchmarks/python: run from the repository or pass --peer-directory")
        }
        let runs = runs ?? (quick ? 1 : 5)
        var machine = Machine.describe(python: python, repositoryRoot: root)
        printError("mp-bench: \(scenarios.count) scenarios, \(runs) run\(runs == 1 ? "" : "s") per side, "
                   + "\(machine.cpus) CPUs, \(machine.pythonVersion), load \(machine.loadBefore)")
        let runner = Runner(scenarios: scenarios, runs: runs, quick: quick, python: python,
                            peerDirectory: directory, executable: Locations.executable(), timeLimit: timeLimit,
                            peers: peers ? PeerEnvironment(python: python, python313: python313, repositoryRoot: root) : nil)
        let outcomes = runner.run()
        machine.loadAfter = Machine.loadAverage()
        let report = Report(machine: machine, runs: runs, quick: quick, outcomes: outcomes)
        print(report.table, terminator: "")
        if let json {
            try writeTextFile(json, report.json.rendered(indent: 2) + "\n")
            printError("mp-bench: wrote \(json)")
        }
        if !report.failures.isEmpty { throw ExitCode(1) }
    }
}

/// One run of our side of one scenario, in this process: prints one JSON line of measurements.
/// The runner starts one of these per run; it is also handy alone while working on the library
/// (`mp-bench measure apply-latency`).
struct Measure: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure our side of one scenario once and print its measurements as one JSON line."
    )

    @Argument(help: "The scenario.")
    var scenario: String

    /// `mp-bench measure NAME --quick`: the flag is the root command's.
    @ParentCommand var root: MPBench

    func run() async throws {
        guard let type = ScenarioRegistry.named(scenario) else {
            throw ValidationError("unknown scenario \(scenario); the scenarios are "
                                  + ScenarioRegistry.all.map { $0.name }.joined(separator: ", "))
        }
        let metrics = try await type.measure(quick: root.quick)
        print(metrics.jsonLine)
    }
}
#endif  // Tools
