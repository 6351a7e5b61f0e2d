import Foundation
import Testing
@testable import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// A well-formed results frame that lies about its task, written by a job into its worker's
/// channel (its only socket) before the worker sends the true one.
enum Lie: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// The same item failed twice.
    case duplicateFailures
    /// Three items, for a task of one.
    case tooManyItems
    /// A piece of no items (it would stand for the piece that really starts there).
    case noItems
    /// Two outputs for the one item.
    case extraOutput

    var description: String { rawValue }

    /// What the parent's refusal says.
    var reasonMentions: String {
        switch self {
        case .duplicateFailures: return "after one at"
        case .tooManyItems: return "results for items"
        case .noItems: return "no items"
        case .extraOutput: return "2 outputs for the 1 items"
        }
    }

    func message(taskID: UInt64, start: UInt32) -> ResultsMessage {
        func failure(_ offset: UInt32) -> ItemFailureRecord {
            ItemFailureRecord(offset: offset, kind: .threw, typeName: "Lie", message: "lie")
        }
        func outputs(_ values: [Int]) -> Payload { Payload((try? BinaryEncoder().encode(values)) ?? []) }
        switch self {
        case .duplicateFailures:
            return ResultsMessage(taskID: taskID, start: start, count: 2, final: true, elapsedNanos: 0,
                                  failures: [failure(start), failure(start)], outputs: outputs([]))
        case .tooManyItems:
            return ResultsMessage(taskID: taskID, start: start, count: 3, final: true, elapsedNanos: 0,
                                  failures: [], outputs: outputs([-1, -2, -3]))
        case .noItems:
            return ResultsMessage(taskID: taskID, start: start, count: 0, final: false, elapsedNanos: 0,
                                  failures: [], outputs: outputs([]))
        case .extraOutput:
            return ResultsMessage(taskID: taskID, start: start, count: 1, final: true, elapsedNanos: 0,
                                  failures: [], outputs: outputs([-1, -2]))
        }
    }

    /// Writes the lie, in one write, into every socket this process holds.
    func tell(taskID: UInt64, start: UInt32) {
        let lie = message(taskID: taskID, start: start)
        let frame = Frame(kind: .results, body: lie.encodeFixedPart() + lie.outputs.bytes).encoded()
        for fd in Vandalism.socketDescriptors() { _ = frame.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
    }
}

/// Doubles its input (2 ms an item); at the items in `bad` it first lies about its own task.
/// Its own item loop (the library's, plus the lie): it needs the task's id, which only the
/// session knows.
struct Liar: Job {
    var lie: Lie
    var bad: Set<Int>
    var runLog: String

    func run(_ x: Int) async throws -> Int {
        noteRun(of: x, in: runLog)
        usleep(2000)
        return x * 2
    }

    func _runItems(_ inputs: [Int], in range: Range<Int>, session: _ItemSession<Int>) async {
        var outputs: [Int] = []
        for index in range {
            session.begin(index)
            do {
                outputs.append(try await run(inputs[index]))
            } catch {
                session.failed(index, error)
            }
            // After the run, so that its record is written before the parent, told the lie,
            // kills this worker (told first, the item could be killed before it ran: 0 runs).
            if bad.contains(inputs[index]) {
                // The task tag is the task id's low half: the whole id in a young pool.
                lie.tell(taskID: session.taskTag >> 32, start: UInt32(range.lowerBound))
            }
        }
        session.send(&outputs, through: range.upperBound - 1, final: true)
    }
}

/// Issue 11 point 8: whatever a worker sends, the parent does not trap, and a results message
/// that lies fails the items concerned with `.protocolViolation`, no others.
@Suite("Lying results")
struct LyingResultsTests {
    @Test("a results frame that lies about its task fails that item with .protocolViolation, and nobody else",
          arguments: Lie.allCases)
    func lyingFrameFailsItsItem(_ lie: Lie) async throws {
        let directory = try temporaryDirectory("liar-\(lie)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bad = 5
        try await withProcessPool(workers: 2) { pool in
            let job = Liar(lie: lie, bad: [bad], runLog: directory)
            let results = try await pool.mapResults(job, Array(0..<12), chunkSize: 1, retries: 0)
            let runs = runCounts(0..<12, in: directory)
            #expect(results.count == 12)
            for (index, result) in results.enumerated() {
                if index == bad {
                    guard case let .failure(failure) = result, case let .protocolViolation(text) = failure.reason else {
                        Issue.record("the lying item: \(result)")
                        continue
                    }
                    #expect(failure.index == bad)
                    #expect(text.contains(lie.reasonMentions), "\(text)")
                    // Its run among the worker's other undelivered items, then alone (see Blame).
                    #expect((1...2).contains(runs[index]), "item \(index) ran \(runs[index]) times")
                } else {
                    #expect((try? result.get()) == index * 2, "item \(index): \(result)")
                }
            }
            #expect(try await pool.map(Liar(lie: lie, bad: [], runLog: directory), [1, 2, 3]) == [2, 4, 6],
                    "the pool goes on")
        }
    }

    @Test("apply never takes a lie for its result: an empty piece or one of two outputs fails it with .protocolViolation",
          arguments: [Lie.noItems, .extraOutput])
    func applyRefusesLies(_ lie: Lie) async throws {
        let directory = try temporaryDirectory("liar-apply-\(lie)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withProcessPool(workers: 1) { pool in
            do {
                let value = try await pool.apply(Liar(lie: lie, bad: [4], runLog: directory), 4)
                Issue.record("apply returned \(value)")
            } catch let failure as JobFailure {
                guard case let .protocolViolation(text) = failure.reason else {
                    Issue.record("apply failed with \(failure.reason)")
                    return
                }
                #expect(text.contains(lie.reasonMentions), "\(text)")
            }
            #expect(try await pool.apply(Liar(lie: lie, bad: [], runLog: directory), 4) == 8, "the pool goes on")
        }
    }
}
