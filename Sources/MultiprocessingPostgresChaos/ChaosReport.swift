#if Postgres
import Foundation

/// What one round of a fault scenario found. ``isClean`` is what must hold: the job completed,
/// no task lost, no result delivered or recorded twice, none wrong.
public struct ChaosRoundReport: Sendable, CustomStringConvertible {
    public var fault: ChaosFault
    /// Replays the round's random points: `mp-postgres chaos --only <fault> --seed <seed>`.
    public var seed: UInt64
    public var tasks: Int
    /// Every task's outcome arrived, and the queue holds no task pending or running.
    public var completed = false
    /// Tasks submitted whose outcome never arrived.
    public var lost = 0
    /// Outcomes the collector delivered a second time for the same task.
    public var duplicatedDeliveries = 0
    /// Results recorded (a final state with a new completion sequence written) a second time
    /// for the same task: what "recorded once" forbids.
    public var duplicatedRecords = 0
    /// Outcomes other than the task's own: a value not this task's, a healthy task failed or
    /// dead-lettered, a poisoned one that succeeded or whose text is not storable, a success
    /// no execution produced, a task run by a host of another build.
    public var wrong = 0
    /// Tasks that ran more than once (allowed: execution is at least once).
    public var reExecuted = 0
    /// For each fault, from its end to the first outcome that arrived after it (nil: none
    /// arrived, the job had finished).
    public var recoveries: [Duration] = []
    /// For each host fault, from its start to the arrival of the last outcome of the tasks the
    /// victim held then.
    public var stranded: [Duration] = []
    public var elapsed: Duration = .zero
    /// What was injected when, and what went wrong.
    public var notes: [String] = []

    public init(fault: ChaosFault, seed: UInt64, tasks: Int) {
        self.fault = fault
        self.seed = seed
        self.tasks = tasks
    }

    public var isClean: Bool {
        completed && lost == 0 && duplicatedDeliveries == 0 && duplicatedRecords == 0 && wrong == 0
    }

    public var description: String {
        var line = "\(fault.rawValue) seed \(seed): \(tasks) tasks, \(completed ? "completed" : "NOT COMPLETED"), "
            + "lost \(lost), duplicated \(duplicatedDeliveries) delivered / \(duplicatedRecords) recorded, wrong \(wrong), "
            + "re-executed \(reExecuted), in \(ChaosSummary.seconds(elapsed))"
        if !recoveries.isEmpty { line += ", recovery " + recoveries.map(ChaosSummary.seconds).joined(separator: " ") }
        if !stranded.isEmpty { line += ", stranded " + stranded.map(ChaosSummary.seconds).joined(separator: " ") }
        return line
    }
}

/// Rounds of one fault, summed up.
public struct ChaosSummary: Sendable, CustomStringConvertible {
    public var fault: ChaosFault
    public var rounds = 0
    public var unclean = 0
    public var tasks = 0
    public var lost = 0
    public var duplicated = 0
    public var wrong = 0
    public var reExecuted = 0
    public var recoveries: [Duration] = []
    public var stranded: [Duration] = []

    public init(fault: ChaosFault) {
        self.fault = fault
    }

    public mutating func add(_ report: ChaosRoundReport) {
        rounds += 1
        if !report.isClean { unclean += 1 }
        tasks += report.tasks
        lost += report.lost
        duplicated += report.duplicatedDeliveries + report.duplicatedRecords
        wrong += report.wrong
        reExecuted += report.reExecuted
        recoveries += report.recoveries
        stranded += report.stranded
    }

    /// Summaries of `reports`, by fault, in the faults' order.
    public static func of(_ reports: [ChaosRoundReport]) -> [ChaosSummary] {
        ChaosFault.allCases.compactMap { fault in
            let mine = reports.filter { $0.fault == fault }
            guard !mine.isEmpty else { return nil }
            var summary = ChaosSummary(fault: fault)
            for report in mine { summary.add(report) }
            return summary
        }
    }

    public var description: String {
        func spread(_ values: [Duration]) -> String {
            guard !values.isEmpty else { return "-" }
            let sorted = values.sorted()
            return "\(Self.seconds(sorted[sorted.count / 2])) / \(Self.seconds(sorted[sorted.count - 1]))"
        }
        return "\(fault.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) rounds \(rounds), unclean \(unclean), "
            + "tasks \(tasks), lost \(lost), duplicated \(duplicated), wrong \(wrong), re-executed \(reExecuted), "
            + "recovery median/max \(spread(recoveries)), stranded median/max \(spread(stranded))"
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.2fs", value)
    }
}
#endif  // Postgres
