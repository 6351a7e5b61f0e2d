#if Tools
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the chosen scenarios: for each, our side and the Python peer in turn (ours, Python,
/// ours, Python, ...), each run a fresh process that prints one JSON line of measurements.
/// A fresh process per run keeps both sides alike (neither reuses a warm runtime or a pool
/// from an earlier run) and lets a crash or a hang cost one run, not the whole benchmark.
struct Runner {
    var scenarios: [any Scenario.Type]
    var runs: Int
    var quick: Bool
    var python: String
    /// `Benchmarks/python`, where the peers' scripts are.
    var peerDirectory: String
    /// This executable: our side's runs are `mp-bench measure NAME`.
    var executable: String
    /// Seconds a run may take before it is killed (nil: the scenario's own limit).
    var timeLimit: Double?
    /// The extra peers' interpreters (`--peers`); nil: only each scenario's own peer runs.
    var peers: PeerEnvironment?

    /// Every run's measurements of one side, and the runs that failed.
    struct Side {
        var runs: [Metrics] = []
        var failures: [String] = []
    }

    /// One of the scenario's extra peers: its runs, or why it was skipped.
    struct ExtraPeer {
        var spec: PeerSpec
        var side = Side()
        var skipped: String?
    }

    struct Outcome {
        var scenario: any Scenario.Type
        var ours = Side()
        var peer = Side()
        var extra: [ExtraPeer] = []
    }

    func run() -> [Outcome] {
        var outcomes: [Outcome] = []
        for scenario in scenarios {
            var outcome = Outcome(scenario: scenario)
            var interpreters: [String?] = []
            if let peers {
                for spec in scenario.extraPeers {
                    switch peers.interpreter(for: spec) {
                    case let .success(path):
                        interpreters.append(path)
                        outcome.extra.append(ExtraPeer(spec: spec))
                    case let .failure(skipped):
                        interpreters.append(nil)
                        outcome.extra.append(ExtraPeer(spec: spec, skipped: skipped.reason))
                        printError("  \(scenario.name) \(spec.label): skipped: \(skipped.reason)")
                    }
                }
            }
            for index in 1...runs {
                let label = "\(scenario.name) \(index)/\(runs)"
                let measuring = scenario.measuringExecutable.map { Locations.sibling($0) } ?? executable
                var oursCommand = [measuring, "measure", scenario.name]
                if quick { oursCommand.append("--quick") }
                measure(oursCommand, side: &outcome.ours, label: "\(label) ours  ", scenario: scenario, keys: { $0.ours },
                        against: nil)
                if let script = scenario.peerScript {
                    var peerCommand = [python, peerDirectory + "/" + script]
                    if quick { peerCommand.append("--quick") }
                    if !scenario.peerStartMethods.isEmpty {
                        peerCommand += ["--start-method", scenario.peerStartMethods.joined(separator: ",")]
                    }
                    measure(peerCommand, side: &outcome.peer, label: "\(label) Python", scenario: scenario, keys: { $0.peer },
                            against: outcome.ours.runs.last)
                }
                for (position, interpreter) in interpreters.enumerated() {
                    guard let interpreter, let script = outcome.extra[position].spec.script ?? scenario.peerScript else {
                        continue
                    }
                    let spec = outcome.extra[position].spec
                    var command = [interpreter, peerDirectory + "/" + script] + spec.arguments
                    if quick { command.append("--quick") }
                    if !scenario.peerStartMethods.isEmpty {
                        command += ["--start-method", scenario.peerStartMethods.joined(separator: ",")]
                    }
                    measure(command, side: &outcome.extra[position].side, label: "\(label) \(spec.label)",
                            scenario: scenario, keys: { $0.peer }, against: outcome.ours.runs.last)
                }
            }
            outcomes.append(outcome)
        }
        return outcomes
    }

    /// Why a run's counts are not those of the scenario (`ours`: our side's run to match), or nil.
    static func countMismatch(_ metrics: Metrics, scenario: any Scenario.Type, ours: Metrics?) -> String? {
        var problems: [String] = []
        for key in scenario.countKeys {
            guard let value = metrics[key] else {
                problems.append("\(key) missing")
                continue
            }
            if let ours, let expected = ours[key], expected != value {
                problems.append("\(key) \(Format.value(value)), ours \(Format.value(expected))")
            }
        }
        return problems.isEmpty ? nil : "not the same work: " + problems.joined(separator: "; ")
    }

    private func measure(_ command: [String], side: inout Side, label: String, scenario: any Scenario.Type,
                         keys: (RowSpec) -> String?, against ours: Metrics?) {
        let failure: String
        do {
            // The oversubscribed rows: busy threads beside the run, started before it, stopped after it.
            let spinner = try scenario.spinnersPerCPU > 0
                ? ChildProcess.Background([executable, "spin", String(scenario.spinnersPerCPU * ProcessPool.availableCPUs)])
                : nil
            defer { spinner?.stop() }
            let cpuBefore = ChildProcess.reapedChildrenCPUSeconds()
            let outcome = try ChildProcess.run(command, timeLimit: timeLimit ?? (quick ? 300 : scenario.timeLimitSeconds))
            // The whole run's CPU (set-up included), of every process of its tree that was reaped.
            let runCPU = ChildProcess.reapedChildrenCPUSeconds() - cpuBefore
            let metrics = outcome.succeeded
                ? ChildProcess.lastJSONLine(outcome.output).flatMap(Metrics.init(jsonLine:)).map { $0.merging(["run_cpu_s": runCPU]) }
                : nil
            let mismatch = metrics.flatMap { Runner.countMismatch($0, scenario: scenario, ours: ours) }
            if let metrics, mismatch == nil {
                side.runs.append(metrics)
                let shown = scenario.rows.compactMap { row -> String? in
                    guard let key = keys(row), let value = metrics[key] else { return nil }
                    return "\(row.name) \(Format.value(value)) \(row.unit)"
                }
                printError("  \(label): " + shown.joined(separator: ", "))
                return
            }
            failure = !outcome.succeeded ? outcome.failure : mismatch ?? "printed no JSON line"
        } catch {
            failure = "\(error)"
        }
        let message = "\(command.joined(separator: " ")): \(failure)"
        side.failures.append(message)
        printError("  \(label): FAILED: \(message)")
    }
}

/// Where things are: this executable, and the peers' scripts.
enum Locations {
    static func executable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// An executable of the package built beside this one.
    static func sibling(_ name: String) -> String {
        let path = executable()
        guard let slash = path.lastIndex(of: "/") else { return name }
        return String(path[..<slash]) + "/" + name
    }

    /// The repository's root: the first of the working directory and the executable's
    /// directories upward that holds `Benchmarks/python`.
    static func repositoryRoot() -> String? {
        var candidates: [String] = []
        var buffer = [CChar](repeating: 0, count: 4096)
        if getcwd(&buffer, buffer.count) != nil {
            candidates.append(contentsOf: ancestors(of: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                                                               as: UTF8.self)))
        }
        candidates.append(contentsOf: ancestors(of: executable()))
        return candidates.first { access($0 + "/Benchmarks/python/mpbench_common.py", R_OK) == 0 }
    }

    private static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var components = path.split(separator: "/").map(String.init)
        while !components.isEmpty {
            result.append("/" + components.joined(separator: "/"))
            components.removeLast()
        }
        return result
    }
}
#endif  // Tools
