import Foundation
import Testing
@testable import Multiprocessing

/// A handle is a value: every read of `value` or `result`, from any task, at any time, gets the
/// same outcome; cancelling one reader ends only that read.
@Suite("Handles are values", .timeLimit(.minutes(2)))
struct JobHandleValueTests {
    @Test("value and result may be read again after the job finished")
    func rereadAfterCompletion() async throws {
        try await withProcessPool(workers: 1) { pool in
            let handle = try pool.submit(Square(), 7)
            for _ in 0..<3 { #expect(try await handle.value == 49) }
            for _ in 0..<2 { #expect(try await handle.result.get() == 49) }
            let copy = handle
            #expect(try await copy.value == 49, "a copy of the handle reads the same outcome")
            #expect(handle.isFinished)
        }
    }

    @Test("a failed job's handle throws the same failure on every read")
    func rereadFailure() async throws {
        try await withProcessPool(workers: 1) { pool in
            let handle = try pool.submit(FailSome(failing: [3]), 3)
            for _ in 0..<3 {
                let failure = await #expect(throws: JobFailure.self) { try await handle.value }
                #expect(failure?.reason == .threw(errorType: "MultiprocessingTests.TestJobError", message: "rejected 3"))
            }
            guard case let .failure(error) = await handle.result else {
                Issue.record("result succeeded")
                return
            }
            #expect((error as? JobFailure)?.reason == .threw(errorType: "MultiprocessingTests.TestJobError", message: "rejected 3"))
        }
    }

    @Test("a target's handle may be read again")
    func rereadTarget() async throws {
        try await withProcessPool(workers: 1) { pool in
            let handle = try pool.submit(ReturnsText(text: "again"))
            #expect(try await handle.value == "AGAIN")
            #expect(try await handle.value == "AGAIN")
        }
    }

    @Test("8 tasks awaiting value at once all get the output")
    func concurrentValueAwaiters() async throws {
        let path = signalPath("awaiters")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withProcessPool(workers: 1) { pool in
            let handle = try pool.submit(WaitForFileThenEcho(path: path), 5)
            let outputs = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await handle.value } }
                try await Task.sleep(for: .milliseconds(200))
                #expect(!handle.isFinished)
                touch(path)
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outputs == Array(repeating: 5, count: 8))
            #expect(try await handle.value == 5, "and a read after them")
        }
    }

    @Test("8 tasks awaiting result at once all get the output")
    func concurrentResultAwaiters() async throws {
        let path = signalPath("results")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withProcessPool(workers: 1) { pool in
            let handle = try pool.submit(WaitForFileThenEcho(path: path), 6)
            let outputs = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await handle.result.get() } }
                try await Task.sleep(for: .milliseconds(200))
                touch(path)
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outputs == Array(repeating: 6, count: 8))
        }
    }

    @Test("cancelling one task awaiting value ends only its read: the job and the other readers go on")
    func cancelOneValueAwaiter() async throws {
        let path = signalPath("cancel-one")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withProcessPool(workers: 1) { pool in
            let handle = try pool.submit(WaitForFileThenEcho(path: path), 8)
            let others = (0..<4).map { _ in Task { try await handle.value } }
            let cancelled = Task { try await handle.value }
            try await Task.sleep(for: .milliseconds(200))
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            #expect(!handle.isFinished, "the job still runs")
            touch(path)
            for other in others { #expect(try await other.value == 8) }
            #expect(try await handle.value == 8)
        }
    }

    @Test("cancelling one task awaiting result ends only its read")
    func cancelOneResultAwaiter() async throws {
        let path = signalPath("cancel-result")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withProcessPool(workers: 1) { pool in
            let handle = try pool.submit(WaitForFileThenEcho(path: path), 9)
            let others = (0..<4).map { _ in Task { await handle.result } }
            let cancelled = Task { await handle.result }
            try await Task.sleep(for: .milliseconds(200))
            cancelled.cancel()
            guard case let .failure(error) = await cancelled.value else {
                Issue.record("the cancelled read succeeded")
                return
            }
            #expect(error is CancellationError)
            #expect(!handle.isFinished)
            touch(path)
            for other in others { #expect(try await other.value.get() == 9) }
            #expect(try await handle.result.get() == 9)
        }
    }

    @Test("cancel() on the handle fails every reader, now and later, with CancellationError")
    func cancelTheJob() async throws {
        let path = signalPath("cancel-job")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withProcessPool(workers: 1) { pool in
            let handle = try pool.submit(WaitForFileThenEcho(path: path), 1)
            let readers = (0..<4).map { _ in Task { try await handle.value } }
            try await Task.sleep(for: .milliseconds(200))
            handle.cancel()
            for reader in readers {
                await #expect(throws: CancellationError.self) { try await reader.value }
            }
            await #expect(throws: CancellationError.self) { try await handle.value }
            #expect(handle.isFinished)
            #expect(try await pool.apply(Square(), 3) == 9, "the pool goes on")
        }
    }

    @Test("a call's sink resumes every task that waits for it and keeps its pieces for each")
    func sinkServesSeveralWaiters() async throws {
        let sink = ResultSink()
        let waiters = (0..<3).map { _ in Task { try await sink.waitForAll().map(\.firstIndex) } }
        try await Task.sleep(for: .milliseconds(100))
        sink.deliver(ResultPiece(firstIndex: 0, count: 2, failures: [], outputs: Payload([])))
        sink.deliver(ResultPiece(firstIndex: 2, count: 1, failures: [], outputs: Payload([])))
        sink.inputFinished(total: 3)
        for waiter in waiters { #expect(try await waiter.value == [0, 2]) }
        #expect(try await sink.waitForAll().map(\.firstIndex) == [0, 2], "a later wait gets them too")
        #expect(try await sink.waitForAllOrFirstFailure().count == 2)
    }
}
