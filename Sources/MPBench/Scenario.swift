#if Tools
/// One benchmark scenario: our side, measured in a fresh `mp-bench measure NAME` process, and
/// its Python peer, a script in `Benchmarks/python/`, each run once per run and alternated by
/// the ``Runner``. Both sides print one JSON object of named measurements (``Metrics``); the
/// scenario's ``rows`` say which measurements the table shows and against which goal.
///
/// A new scenario is one file in `Scenarios/` with a type conforming to this protocol, its
/// jobs at file scope, one line in ``ScenarioRegistry``, and (if it has a peer) one script.
protocol Scenario {
    /// The name `--only` takes and the table shows ("map-tiny").
    static var name: String { get }
    /// One sentence: what is measured, and how.
    static var summary: String { get }
    /// The Python peer's script in `Benchmarks/python/` (nil: no peer).
    static var peerScript: String? { get }
    /// The table's rows for this scenario.
    static var rows: [RowSpec] { get }
    /// Runs our side once, in this process, and returns its measurements.
    static func measure(quick: Bool) async throws -> Metrics
    /// How long one run of either side may take before it is killed, in seconds.
    static var timeLimitSeconds: Double { get }
    /// Whether it needs a PostgreSQL server (`mp-bench --postgres URL`); such scenarios run only then.
    static var needsPostgres: Bool { get }
    /// The executable, built beside mp-bench, that measures our side (nil: mp-bench itself).
    static var measuringExecutable: String? { get }
    /// The `multiprocessing` start methods the peer uses: the runner passes them to its script
    /// (`--start-method fork`), which uses exactly those, so what the report states is what ran.
    static var peerStartMethods: [String] { get }
    /// How the peer starts its processes, in words, for the report (nil: no peer).
    static var peerStartMethodText: String? { get }
    /// How our side starts its processes, in words, for the report.
    static var oursStartMethodText: String { get }
    /// The measurements that say how much work a run did (items, round trips, workers): every
    /// run of either side must report each of them, and a peer's run must report the same
    /// values as our side's, or the run fails: both sides do the same work.
    static var countKeys: [String] { get }
    /// Busy threads per CPU that a spinner process runs beside each run of either side (the
    /// oversubscribed rows); 0: none.
    static var spinnersPerCPU: Int { get }
    /// The peers besides the scenario's own that `mp-bench --peers` runs (other libraries,
    /// Python 3.13), each on the same work and reporting the same measurements.
    static var extraPeers: [PeerSpec] { get }
    /// How the report names the scenario's own peer ("multiprocessing", "celery group").
    static var peerLabel: String { get }
}

extension Scenario {
    static var peerScript: String? { name.replacingDashes() + ".py" }
    static var timeLimitSeconds: Double { 600 }
    static var needsPostgres: Bool { false }
    static var measuringExecutable: String? { nil }
    static var peerStartMethods: [String] { ["fork"] }
    static var countKeys: [String] { [] }
    static var spinnersPerCPU: Int { 0 }
    static var extraPeers: [PeerSpec] { peerScript == nil ? [] : [.python313] }
    static var peerLabel: String { "multiprocessing" }
    static var peerStartMethodText: String? { peerScript == nil ? nil : peerStartMethods.joined(separator: ", ") }
    static var oursStartMethodText: String {
        "exec (posix_spawn of \(measuringExecutable ?? "mp-bench"), a fresh process image as with spawn)"
    }
}

extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}

/// Named measurements of one run of one side: `{"items_per_s": 3.2e6, "seconds": 0.31}`.
typealias Metrics = [String: Double]

/// A row of the table: one measurement of ours beside (usually) the same of the peer.
struct RowSpec: Sendable {
    /// The row's name ("cold-start-spawn"); the scenario's own name for its main row.
    var name: String
    var unit: String
    var higherIsBetter: Bool
    /// The measurement's key in our side's metrics.
    var ours: String
    /// Its key in the peer's metrics; nil when the row has no peer column.
    var peer: String?
    /// What the row must reach, judged on the medians.
    var goal: @Sendable (GoalContext) -> GoalEvaluation
    /// A remark printed under the table (how to read the row).
    var note: String?
    /// The peer's start method for this row when the scenario's peer uses several
    /// (cold-start: fork, cold-start-spawn: spawn); nil: the scenario's.
    var peerStartMethod: String?
    /// How our side started the processes of this row when not as the scenario's others
    /// (socketpair-floor: a forked C child); nil: the scenario's.
    var oursStartMethod: String?
    /// The row's work per CPU-second of the parent and every worker, shown beside the wall
    /// figure; nil: the row has none (a memory figure, a start-up time).
    var cpu: CPUSpec?
    /// False for a row the pool library does not change (a serial loop before the pool): only the
    /// extra peers that are another interpreter, not another library, are shown on it.
    var dependsOnLibrary = true

    init(name: String, unit: String, higherIsBetter: Bool, ours: String, peer: String?,
         note: String? = nil, peerStartMethod: String? = nil, oursStartMethod: String? = nil, cpu: CPUSpec? = nil,
         goal: @escaping @Sendable (GoalContext) -> GoalEvaluation) {
        self.cpu = cpu
        self.peerStartMethod = peerStartMethod
        self.oursStartMethod = oursStartMethod
        self.name = name
        self.unit = unit
        self.higherIsBetter = higherIsBetter
        self.ours = ours
        self.peer = peer
        self.note = note
        self.goal = goal
    }
}

extension RowSpec {
    /// A row the pool library does not change (``dependsOnLibrary`` false).
    static func libraryFree(name: String, unit: String, higherIsBetter: Bool, ours: String, peer: String?,
                            note: String? = nil,
                            goal: @escaping @Sendable (GoalContext) -> GoalEvaluation) -> RowSpec {
        var row = RowSpec(name: name, unit: unit, higherIsBetter: higherIsBetter, ours: ours, peer: peer, note: note,
                          goal: goal)
        row.dependsOnLibrary = false
        return row
    }
}

/// How a row's work per CPU-second is computed from a run's measurements, the same on both
/// sides: `metrics[work] / metrics[cpu]`, where `cpu` is the CPU seconds of the parent and every
/// worker during the timed part (``CPUMeter``).
struct CPUSpec: Sendable {
    /// The measurement that counts the timed part's work ("items", "calls").
    var work: String
    /// The measurement of the CPU seconds it took ("cpu_s").
    var cpu: String = "cpu_s"
    /// The unit of work / CPU-second ("items/CPU-s").
    var unit: String
    /// Scales the work (MiB moved from payloads: 2 * payload bytes / 2^20).
    var scale: Double = 1

    init(work: String, cpu: String = "cpu_s", unit: String, scale: Double = 1) {
        self.work = work
        self.cpu = cpu
        self.unit = unit
        self.scale = scale
    }

    /// This run's work per CPU-second; nil when the run lacks either measurement or spent none.
    func value(_ metrics: Metrics) -> Double? {
        guard let work = metrics[work], let cpu = metrics[cpu], cpu > 0 else { return nil }
        return work * scale / cpu
    }
}

/// What a goal is judged on: the medians of every measurement of the scenario's runs.
struct GoalContext: Sendable {
    /// This row's ratio (peer column present), oriented so that > 1 means we are better.
    var ratio: Double?
    var ours: [String: Double]
    var peer: [String: Double]
    /// This row's extra peers (`--peers`) in their order: each one's ratio (oriented as
    /// ``ratio``), nil when it was skipped or failed; empty without `--peers`.
    var extra: [(label: String, ratio: Double?)] = []
}

/// A goal, and where the run stands against it.
struct GoalEvaluation: Sendable {
    /// The goal in words ("ours >= 20x Python").
    var text: String
    /// What the goal is about, for the chart ("x Python", "speedup").
    var quantity: String = ""
    /// That quantity in this run, oriented so that higher is better; nil: not measured.
    var value: Double?
    /// The value the goal asks for; nil: the row is reported, not judged.
    var target: Double?

    /// Met when value >= target; nil when the row has no goal or was not measured.
    var met: Bool? {
        guard let target, let value else { return nil }
        return value >= target
    }

    /// A row that is reported, not judged.
    static func none(_ text: String) -> GoalEvaluation {
        GoalEvaluation(text: text)
    }

    /// The ratio against the peer must reach `factor`.
    static func ratio(atLeast factor: Double, _ context: GoalContext, text: String) -> GoalEvaluation {
        GoalEvaluation(text: text, quantity: "x Python", value: context.ratio, target: factor)
    }
}
#endif  // Tools
