#if Tools
/// The medians, extremes and every run of one measurement on one side.
struct Stats {
    var median: Double
    var min: Double
    var max: Double
    var runs: [Double]

    init?(_ values: [Double]) {
        guard let middle = medianOf(values), let low = values.min(), let high = values.max() else { return nil }
        median = middle
        min = low
        max = high
        runs = values
    }

    var json: JSON {
        .object([("median", .number(median)), ("min", .number(min)), ("max", .number(max)),
                 ("runs", .array(runs.map { JSON.number($0) }))])
    }

    var text: String {
        runs.count == 1 ? Format.value(median)
            : "\(Format.value(median)) (\(Format.value(min))-\(Format.value(max)))"
    }
}

/// One row of the results: a ``RowSpec`` filled in from a scenario's runs.
struct RowResult {
    var scenario: String
    var spec: RowSpec
    var ours: Stats?
    var peer: Stats?
    var ratio: Double?
    var goal: GoalEvaluation
    /// Work per CPU-second (``RowSpec/cpu``) of each side, and ours over the peer's.
    var oursPerCPU: Stats?
    var peerPerCPU: Stats?
    var cpuRatio: Double?
    /// The extra peers (`--peers`) on this row: their medians and ours against each.
    var extra: [ExtraPeerResult] = []

    struct ExtraPeerResult {
        var label: String
        var stats: Stats?
        var ratio: Double?
        var perCPU: Stats?
        var cpuRatio: Double?
        var skipped: String?

        var json: JSON {
            .object([("label", .string(label)), ("peer", stats?.json ?? .null), ("ratio", .number(ratio)),
                     ("peer_per_cpu_s", perCPU?.json ?? .null), ("cpu_ratio", .number(cpuRatio)),
                     ("skipped", .string(skipped))])
        }
    }

    /// The peer ours does least well against on wall time (the scenario's own or an extra one).
    var bestPeer: (label: String, ratio: Double)? {
        var candidates = extra.compactMap { peer in peer.ratio.map { (peer.label, $0) } }
        if let ratio { candidates.append((peerLabel, ratio)) }
        return candidates.min { $0.1 < $1.1 }
    }

    /// How the report names the scenario's own peer.
    var peerLabel: String
    /// How each side started its processes.
    var oursStartMethod: String
    var peerStartMethod: String?

    init(scenario: String, spec: RowSpec, outcome: Runner.Outcome) {
        self.scenario = scenario
        peerLabel = outcome.scenario.peerLabel
        oursStartMethod = spec.oursStartMethod ?? outcome.scenario.oursStartMethodText
        peerStartMethod = spec.peer == nil ? nil : spec.peerStartMethod ?? outcome.scenario.peerStartMethodText
        self.spec = spec
        ours = Stats(outcome.ours.runs.compactMap { $0[spec.ours] })
        peer = spec.peer.flatMap { key in Stats(outcome.peer.runs.compactMap { $0[key] }) }
        if let ours, let peer, ours.median > 0, peer.median > 0 {
            ratio = spec.higherIsBetter ? ours.median / peer.median : peer.median / ours.median
        }
        if let cpu = spec.cpu {
            oursPerCPU = Stats(outcome.ours.runs.compactMap { cpu.value($0) })
            peerPerCPU = spec.peer == nil ? nil : Stats(outcome.peer.runs.compactMap { cpu.value($0) })
            if let ours = oursPerCPU, let peer = peerPerCPU, peer.median > 0 { cpuRatio = ours.median / peer.median }
        }
        if let key = spec.peer {
            for peer in outcome.extra where spec.dependsOnLibrary || peer.spec.arguments.isEmpty {
                var result = ExtraPeerResult(label: peer.spec.label, skipped: peer.skipped)
                result.stats = Stats(peer.side.runs.compactMap { $0[key] })
                if let ours, let theirs = result.stats, ours.median > 0, theirs.median > 0 {
                    result.ratio = spec.higherIsBetter ? ours.median / theirs.median : theirs.median / ours.median
                }
                if let cpu = spec.cpu {
                    result.perCPU = Stats(peer.side.runs.compactMap { cpu.value($0) })
                    if let ours = oursPerCPU, let theirs = result.perCPU, theirs.median > 0 {
                        result.cpuRatio = ours.median / theirs.median
                    }
                }
                extra.append(result)
            }
        }
        let context = GoalContext(ratio: ratio, ours: RowResult.medians(outcome.ours.runs),
                                  peer: RowResult.medians(outcome.peer.runs), extra: extra.map { ($0.label, $0.ratio) })
        goal = spec.goal(context)
    }

    /// The median of each measurement over the runs.
    static func medians(_ runs: [Metrics]) -> [String: Double] {
        var keys = Set<String>()
        for run in runs { keys.formUnion(run.keys) }
        var result: [String: Double] = [:]
        for key in keys { result[key] = medianOf(runs.compactMap { $0[key] }) }
        return result
    }

    var perCPUText: String {
        guard let cpu = spec.cpu else { return "-" }
        return "\(oursPerCPU.map { Format.value($0.median) } ?? "?") / "
            + "\(spec.peer == nil ? "-" : peerPerCPU.map { Format.value($0.median) } ?? "?") \(cpu.unit)"
    }

    var metText: String {
        switch goal.met {
        case true?: return "yes"
        case false?: return "NO"
        case nil: return goal.target == nil ? "-" : "?"
        }
    }

    var json: JSON {
        .object([
            ("name", .string(spec.name)),
            ("scenario", .string(scenario)),
            ("unit", .string(spec.unit)),
            ("higher_is_better", .bool(spec.higherIsBetter)),
            ("ours", ours?.json ?? .null),
            ("peer", peer?.json ?? .null),
            ("ratio", .number(ratio)),
            ("per_cpu_unit", .string(spec.cpu?.unit)),
            ("ours_per_cpu_s", oursPerCPU?.json ?? .null),
            ("peer_per_cpu_s", peerPerCPU?.json ?? .null),
            ("cpu_ratio", .number(cpuRatio)),
            ("extra_peers", .array(extra.map(\.json))),
            ("best_peer", .string(bestPeer?.label)),
            ("best_peer_ratio", .number(bestPeer?.ratio)),
            ("goal", .string(goal.text)),
            ("goal_met", goal.met.map(JSON.bool) ?? .null),
            ("goal_quantity", .string(goal.quantity.isEmpty ? nil : goal.quantity)),
            ("goal_value", .number(goal.value)),
            ("goal_target", .number(goal.target)),
            ("note", .string(spec.note)),
            ("ours_start_method", .string(oursStartMethod)),
            ("peer_start_method", .string(peerStartMethod)),
        ])
    }
}

/// The whole run's results: the table on stdout and the JSON document.
struct Report {
    var machine: Machine
    var runs: Int
    var quick: Bool
    var outcomes: [Runner.Outcome]

    var rows: [RowResult] {
        outcomes.flatMap { outcome in
            outcome.scenario.rows.map { RowResult(scenario: outcome.scenario.name, spec: $0, outcome: outcome) }
        }
    }

    var failures: [String] {
        outcomes.flatMap { outcome in
            (outcome.ours.failures.map { "\(outcome.scenario.name) (ours): \($0)" })
                + outcome.peer.failures.map { "\(outcome.scenario.name) (Python): \($0)" }
                + outcome.extra.flatMap { peer in
                    peer.side.failures.map { "\(outcome.scenario.name) (\(peer.spec.label)): \($0)" }
                }
        }
    }

    var table: String {
        let header = ["scenario", "unit", "ours: median (min-max)", "Python: median (min-max)", "ratio",
                      "per CPU-s: ours / Python", "CPU ratio", "goal", "met"]
        var lines = [header]
        for row in rows {
            lines.append([
                row.spec.name,
                row.spec.unit,
                row.ours?.text ?? "failed",
                row.peer?.text ?? (row.spec.peer == nil ? "-" : "failed"),
                row.ratio.map { Format.value($0) + "x" } ?? "-",
                row.perCPUText,
                row.cpuRatio.map { Format.value($0) + "x" } ?? "-",
                row.goal.text,
                row.metText,
            ])
            for peer in row.extra {
                lines.append([
                    "  vs " + peer.label, "",  "",
                    peer.stats?.text ?? (peer.skipped.map { "skipped: " + $0 } ?? "failed"),
                    peer.ratio.map { Format.value($0) + "x" } ?? "-",
                    peer.perCPU.map { "\(Format.value($0.median)) \(row.spec.cpu?.unit ?? "")" } ?? "-",
                    peer.cpuRatio.map { Format.value($0) + "x" } ?? "-",
                    "", "",
                ])
            }
        }
        var widths = header.map { _ in 0 }
        for line in lines {
            for (column, cell) in line.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        var text = """
        mp-bench \(quick ? "--quick " : "")\(machine.date): swift-multiprocessing vs \(machine.pythonVersion) multiprocessing
        \(machine.cpus) CPUs (\(machine.cpuModel)), \(machine.kernel), \(machine.swiftVersion)
        \(machine.revision.text)
        \(runs) run\(runs == 1 ? "" : "s") per side, alternating; \
        load average before \(machine.loadBefore), after \(machine.loadAfter)


        """
        for (index, line) in lines.enumerated() {
            let cells = line.enumerated().map { column, cell in
                column == line.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
            text += cells.joined(separator: "  ") + "\n"
            if index == 0 {
                text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            }
        }
        text += "\nratio: > 1 means ours is better (ours/Python when higher is better, Python/ours when lower is).\n"
        text += "per CPU-s: the row's work per CPU-second of the parent and every worker during the timed part "
            + "(medians; CPU ratio = ours/Python, > 1: ours does more work per CPU-second).\n"
        for row in rows {
            if let note = row.spec.note { text += "\(row.spec.name): \(note)\n" }
        }
        // Each pair of start methods once, with the rows it holds for.
        var pairs: [(ours: String, peer: String, rows: [String])] = []
        for row in rows {
            let peer = row.peerStartMethod ?? "no peer"
            if let index = pairs.firstIndex(where: { $0.ours == row.oursStartMethod && $0.peer == peer }) {
                pairs[index].rows.append(row.spec.name)
            } else {
                pairs.append((row.oursStartMethod, peer, [row.spec.name]))
            }
        }
        text += "\nstart methods:\n" + pairs.map { pair in
            "  ours \(pair.ours); Python \(pair.peer): \(pair.rows.joined(separator: ", "))\n"
        }.joined()
        let failures = failures
        if !failures.isEmpty {
            text += "\nFAILED RUNS:\n" + failures.map { "  " + $0 + "\n" }.joined()
        }
        return text
    }

    var json: JSON {
        var raw: [(String, JSON)] = []
        for outcome in outcomes {
            raw.append((outcome.scenario.name, .object([
                ("ours", .array(outcome.ours.runs.map { JSON.metrics($0) })),
                ("peer", .array(outcome.peer.runs.map { JSON.metrics($0) })),
                ("failures", .array((outcome.ours.failures + outcome.peer.failures).map(JSON.string))),
                ("extra_peers", .array(outcome.extra.map { peer in
                    JSON.object([("label", .string(peer.spec.label)), ("skipped", .string(peer.skipped)),
                                 ("arguments", .array(peer.spec.arguments.map { JSON.string($0) })),
                                 ("runs", .array(peer.side.runs.map { JSON.metrics($0) })),
                                 ("failures", .array(peer.side.failures.map(JSON.string)))])
                })),
                ("ours_start_method", .string(outcome.scenario.oursStartMethodText)),
                ("peer_start_methods", .array(outcome.scenario.peerStartMethods.map { JSON.string($0) })),
            ])))
        }
        return .object([
            ("tool", .string("mp-bench")),
            ("quick", .bool(quick)),
            ("runs_per_side", .number(Double(runs))),
            ("machine", machine.json),
            ("scenarios", .array(rows.map(\.json))),
            ("raw", .object(raw)),
            ("failures", .array(failures.map(JSON.string))),
        ])
    }
}

extension JSON {
    static func metrics(_ metrics: Metrics) -> JSON {
        .object(metrics.sorted { $0.key < $1.key }.map { ($0.key, JSON.number($0.value)) })
    }
}

/// Numbers for people: three significant digits, with k past ten thousand, M and G.
enum Format {
    static func value(_ number: Double) -> String {
        guard number.isFinite else { return "\(number)" }
        let magnitude = abs(number)
        if magnitude >= 1e9 { return significant(number / 1e9) + "G" }
        if magnitude >= 1e6 { return significant(number / 1e6) + "M" }
        if magnitude >= 1e4 { return significant(number / 1e3) + "k" }
        return significant(number)
    }

    /// Three significant digits (all the digits of the integer part when it has more).
    static func significant(_ number: Double) -> String {
        if number == 0 { return "0" }
        var exponent = 0
        var scaled = abs(number)
        while scaled >= 10 { scaled /= 10; exponent += 1 }
        while scaled < 1 { scaled *= 10; exponent -= 1 }
        return fixed(number, decimals: max(0, 2 - exponent))
    }

    static func fixed(_ number: Double, decimals: Int) -> String {
        var factor = 1.0
        for _ in 0..<decimals { factor *= 10 }
        let scaled = (abs(number) * factor).rounded()
        guard scaled < 9e18 else { return "\(number)" }
        let whole = Int64(scaled)
        let divisor = Int64(factor)
        var text = String(whole / divisor)
        if decimals > 0 {
            let fraction = String(whole % divisor)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return (number < 0 && whole != 0 ? "-" : "") + text
    }
}
#endif  // Tools
