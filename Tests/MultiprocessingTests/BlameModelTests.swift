import PropertyBased
import Testing
@testable import Multiprocessing

/// A model of what a worker did before it died, and the page it left: ``Blame`` must charge the
/// item that did it or name it among the suspects, and never charge or suspect an item that was
/// delivered or not begun.
struct DeathScenario: CustomStringConvertible {
    enum Fault: CaseIterable { case inItem, encodingOutputs, channelLost, garbage, afterDelivery, definingJob }

    /// Each task's range within its chunk, in the order sent (the order run).
    var ranges: [Range<Int>]
    var taskIDs: [UInt64]
    /// Items (positions in run order) delivered: a prefix.
    var delivered: Int
    /// The last item begun (a position in run order).
    var current: Int
    var fault: Fault
    /// Where the window of possible culprits starts (encoding's first item, the channel's first
    /// unverified item), and the culprit in it.
    var windowStart: Int
    var culprit: Int

    var description: String {
        "ranges \(ranges) ids \(taskIDs) delivered \(delivered) current \(current) \(fault) window \(windowStart) culprit \(culprit)"
    }

    /// (task, offset) of every item, in run order.
    var runOrder: [(task: Int, offset: Int)] {
        ranges.enumerated().flatMap { task, range in range.map { (task, $0) } }
    }

    var tasks: [Blame.Task] {
        var left = delivered
        return ranges.enumerated().map { index, range in
            let done = min(left, range.count)
            left -= done
            return Blame.Task(taskID: taskIDs[index], unresolved: (range.lowerBound + done)..<range.upperBound)
        }
    }

    func word(_ position: Int) -> UInt64 {
        let (task, offset) = runOrder[position]
        return StatusPage.item(taskID: taskIDs[task], offset: UInt32(offset))
    }

    var page: StatusPage.Snapshot {
        var page = StatusPage.Snapshot(running: true, current: word(current), tasksDone: 0, residentBytes: 0)
        switch fault {
        case .encodingOutputs:
            page.stage = .encodingOutputs
            page.stageFrom = word(windowStart)
        case .channelLost:
            page.channelLost = true
            // The first item not verified; one past the end when the last was verified.
            page.suspectsFrom = windowStart < runOrder.count ? word(windowStart) : word(current) &+ 1
        case .definingJob:
            page.stage = .definingJob
            page.stageJob = 7
        case .inItem, .garbage, .afterDelivery:
            break
        }
        return page
    }

    /// Built from a few numbers, so that every scenario is consistent by construction.
    static func make(counts: [Int], picks: [Int]) -> DeathScenario {
        let counts = counts.isEmpty ? [1] : counts.map { max(1, $0) }
        let picks = picks + Array(repeating: 0, count: max(0, 5 - picks.count)).map { $0 }
        let ranges = counts.map { 0..<$0 }
        let total = counts.reduce(0, +)
        let current = abs(picks[0]) % total
        let fault = Fault.allCases[abs(picks[1]) % Fault.allCases.count]
        // Delivered items are a prefix; a fault in an item comes before its result is delivered.
        var delivered = abs(picks[2]) % (current + 1)
        if fault == .afterDelivery { delivered = current + 1 }
        let windowStart: Int
        switch fault {
        case .inItem: windowStart = current
        case .garbage: windowStart = delivered
        case .afterDelivery, .definingJob: windowStart = current
        case .encodingOutputs:
            // A piece is of one task: the window starts in the current item's task.
            let order = ranges.enumerated().flatMap { task, range in range.map { _ in task } }
            let taskStart = order.firstIndex(of: order[current]) ?? current
            let from = max(delivered, taskStart)
            windowStart = from + abs(picks[3]) % (current - from + 1)
        default: windowStart = min(current, delivered + abs(picks[3]) % (current - delivered + 1))
        }
        let culprit = fault == .inItem ? current : windowStart + abs(picks[4]) % max(1, current - windowStart + 1)
        return DeathScenario(ranges: ranges, taskIDs: (0..<counts.count).map { UInt64(1000 + 17 * $0) },
                             delivered: delivered, current: current, fault: fault,
                             windowStart: windowStart, culprit: culprit)
    }

    static let generator = zip(Gen.int(in: 1...4).array(of: 1...4), Gen.int(in: 0...10_000).array(of: 5))
        .map { counts, picks in make(counts: counts, picks: picks) }
}

@Suite("Blame model")
struct BlameModelTests {
    @Test("a death is charged to its culprit, or the culprit is among the suspects; nobody delivered or not begun is touched")
    func verdictsAgreeWithTheModel() async {
        await propertyCheck(count: 20_000, input: DeathScenario.generator) { scenario in
            let verdict = Blame.verdict(tasks: scenario.tasks, page: scenario.page,
                                        unreadable: scenario.fault == .garbage)
            let order = scenario.runOrder
            func position(task: Int, offset: Int) -> Int? { order.firstIndex { $0.task == task && $0.offset == offset } }
            let begunUndelivered = scenario.delivered...max(scenario.delivered, scenario.current)
            switch scenario.fault {
            case .definingJob:
                #expect(verdict == .job(7), "\(scenario)")
                return
            case .afterDelivery:
                #expect(verdict == .nobody, "\(scenario): \(verdict)")
                return
            default:
                break
            }
            switch verdict {
            case let .item(task, offset):
                let charged = position(task: task, offset: offset)
                #expect(charged == scenario.culprit, "\(scenario): charged \(String(describing: charged))")
            case let .suspects(suspects):
                let named = suspects.flatMap { suspect in suspect.offsets.compactMap { position(task: suspect.task, offset: $0) } }
                #expect(named.count > 1, "\(scenario): one suspect is a charge")
                #expect(named.contains(scenario.culprit), "\(scenario): the culprit is not a suspect: \(named)")
                #expect(named.allSatisfy { begunUndelivered.contains($0) && $0 < order.count && $0 <= scenario.current },
                        "\(scenario): a suspect that was delivered or not begun: \(named)")
                #expect(Set(named).count == named.count)
            case .nobody, .job:
                Issue.record("\(scenario): \(verdict)")
            }
            // Exact whenever the window is one item.
            if scenario.windowStart == scenario.current {
                #expect(verdict != .nobody && {
                    if case .item = verdict { return true } else { return false }
                }(), "\(scenario): \(verdict)")
            }
        }
    }
}
