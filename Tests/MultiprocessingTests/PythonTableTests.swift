import Foundation
import Synchronization
import Testing
@testable import Multiprocessing

/// What a job sees of its process: Python's `current_process()` and `parent_process()`.
struct WhereAmI: Job {
    struct Seen: Codable, Sendable {
        var pid: Int32
        var isWorker: Bool
        var parentPID: Int32?
    }

    func run(_ x: Int) async throws -> Seen {
        Seen(pid: CurrentProcess.pid, isWorker: CurrentProcess.isWorker, parentPID: CurrentProcess.parentPID)
    }
}

/// Notes that it started (a file in `directory`), then sleeps a minute.
struct StartThenSleep: Job {
    var directory: String

    func run(_ x: Int) async throws -> Int {
        _ = FileManager.default.createFile(atPath: "\(directory)/started-\(x)", contents: nil)
        try await Task.sleep(for: .seconds(60))
        return x
    }
}

/// The rest of Python's table: `map_async` and `starmap_async` with callbacks, `as_completed`
/// and `wait` over handles, `current_process`, `parent_process` and `active_children`.
@Suite("Python's table", .timeLimit(.minutes(2)))
struct PythonTableTests {
    /// What the callbacks received, in order.
    final class Calls: Sendable {
        let outputs = Mutex<[[Int]]>([])
        let errors = Mutex<[String]>([])
    }

    @Test("mapAsync: the callback gets the outputs before the handle's value returns; no error callback")
    func mapAsyncCallback() async throws {
        try await withProcessPool(workers: 2) { pool in
            let calls = Calls()
            let handle = pool.mapAsync(Square(), Array(0..<50), chunkSize: 4,
                                       callback: { outputs in calls.outputs.withLock { $0.append(outputs) } },
                                       errorCallback: { error in calls.errors.withLock { $0.append("\(error)") } })
            let squares = try await handle.value
            #expect(squares == (0..<50).map { $0 * $0 })
            #expect(calls.outputs.withLock { $0 } == [squares], "the callback ran once, with the outputs, before value returned")
            #expect(calls.errors.withLock { $0 }.isEmpty)
            #expect(handle.isFinished)
            #expect(try await handle.value == squares, "read again")
        }
    }

    @Test("starmapAsync: one failed item fails the call, and the error callback gets that failure")
    func starmapAsyncErrorCallback() async throws {
        try await withProcessPool(workers: 2) { pool in
            let calls = Calls()
            let handle = pool.starmapAsync(FailSome(failing: [7]), Array(0..<20),
                                           callback: { outputs in calls.outputs.withLock { $0.append(outputs) } },
                                           errorCallback: { error in calls.errors.withLock { $0.append("\(error)") } })
            let failure = await #expect(throws: JobFailure.self) { try await handle.value }
            #expect(failure?.reason == .threw(errorType: "MultiprocessingTests.TestJobError", message: "rejected 7"))
            #expect(calls.outputs.withLock { $0 }.isEmpty)
            let errors = calls.errors.withLock { $0 }
            #expect(errors.count == 1 && errors[0].contains("rejected 7"), "\(errors)")
        }
    }

    @Test("cancelling a mapAsync handle stops its call: value throws CancellationError, the pool goes on")
    func mapAsyncCancel() async throws {
        let directory = try temporaryDirectory("map-async-cancel")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withProcessPool(workers: 2) { pool in
            let calls = Calls()
            let handle = pool.mapAsync(StartThenSleep(directory: directory), Array(0..<4), chunkSize: 1,
                                       errorCallback: { error in calls.errors.withLock { $0.append("\(type(of: error))") } })
            // Both workers are in an item of it.
            while (try FileManager.default.contentsOfDirectory(atPath: directory)).count < 2 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(!handle.isFinished)
            handle.cancel()
            await #expect(throws: CancellationError.self) { try await handle.value }
            #expect(calls.errors.withLock { $0 } == ["CancellationError"])
            #expect(try await pool.apply(Square(), 9) == 81, "its workers were killed and replaced")
            #expect(await pool.statistics().workersStarted >= 3, "the workers in its items were killed, so new ones started")
        }
    }

    @Test("asCompleted yields each handle as its work finishes, in that order")
    func asCompletedOrder() async throws {
        let directory = try temporaryDirectory("as-completed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withProcessPool(workers: 3) { pool in
            let handles = try (0..<3).map { try pool.submit(WaitForFileThenEcho(path: "\(directory)/\($0)"), $0) }
            var order: [Int] = []
            var released = [2]
            _ = FileManager.default.createFile(atPath: "\(directory)/2", contents: nil)
            for await handle in JobHandle.asCompleted(handles) {
                #expect(handle.isFinished)
                order.append(try await handle.value)
                // Release the next one only once the last has been yielded.
                if let next = [0, 1].first(where: { !released.contains($0) }) {
                    released.append(next)
                    _ = FileManager.default.createFile(atPath: "\(directory)/\(next)", contents: nil)
                }
            }
            #expect(order == [2, 0, 1])
        }
    }

    @Test("wait: firstCompleted returns the one finished, firstFailure the failed, a timeout what is done, allCompleted all")
    func waitConditions() async throws {
        let directory = try temporaryDirectory("wait")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withProcessPool(workers: 4) { pool in
            let blocked = try (0..<3).map { try pool.submit(WaitForFileThenEcho(path: "\(directory)/\($0)"), $0) }

            _ = FileManager.default.createFile(atPath: "\(directory)/1", contents: nil)
            let first = await JobHandle.wait(blocked, until: .firstCompleted)
            #expect(try await first.done.asyncMap { try await $0.value } == [1])
            #expect(first.pending.count == 2)

            let timedOut = await JobHandle.wait(blocked, until: .allCompleted, timeout: .milliseconds(300))
            #expect(timedOut.done.count == 1 && timedOut.pending.count == 2, "0 and 2 still wait for their files")

            let failing = try pool.submit(FailSome(failing: [5]), 5)
            let failed = await JobHandle.wait(blocked + [failing], until: .firstFailure)
            #expect(failed.done.count == 2, "item 1 (finished before) and the failure")
            #expect(failed.pending.count == 2)
            #expect(await failing.result.isFailure)

            for index in [0, 2] { _ = FileManager.default.createFile(atPath: "\(directory)/\(index)", contents: nil) }
            let all = await JobHandle.wait(blocked, until: .allCompleted)
            #expect(all.pending.isEmpty)
            #expect(try await all.done.asyncMap { try await $0.value } == [0, 1, 2], "in the order given")
            #expect(await JobHandle<Int>.wait([], until: .firstCompleted).done.isEmpty)
        }
    }

    @Test("CurrentProcess: a job knows it is a worker and its parent; the parent is neither and sees its workers as children")
    func currentProcess() async throws {
        #expect(!CurrentProcess.isWorker)
        #expect(CurrentProcess.parentPID == nil)
        try await withProcessPool(workers: 2) { pool in
            let seen = try await pool.map(WhereAmI(), Array(0..<20))
            let workers = Set(seen.map(\.pid))
            #expect(!workers.contains(getpid()))
            for item in seen {
                #expect(item.isWorker)
                #expect(item.parentPID == getpid())
            }
            let children = Set(CurrentProcess.activeChildren())
            #expect(workers.isSubset(of: children), "workers \(workers), children \(children)")
        }
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var mapped: [T] = []
        for element in self { mapped.append(try await transform(element)) }
        return mapped
    }
}

/// A job that runs a pool of its own (Python's daemonic pool workers may not have children).
struct NestedSquares: Job {
    func run(_ count: Int) async throws -> [Int] {
        try await withProcessPool(workers: 2) { pool in
            try await pool.map(Square(), Array(0..<count), chunkSize: 3)
        }
    }
}

@Suite("Nested pools", .timeLimit(.minutes(2)))
struct NestedPoolTests {
    @Test("a job may run a pool of its own, in every worker at once, and it leaves no process behind")
    func jobRunsAPool() async throws {
        try await withProcessPool(workers: 2) { pool in
            let results = try await pool.map(NestedSquares(), [10, 20, 30, 40], chunkSize: 1)
            #expect(results == [10, 20, 30, 40].map { count in (0..<count).map { $0 * $0 } })
            let workers = await pool.workerPIDs()
            // Children of any of a worker's threads (the inner pool spawns from its reactor's).
            let grandchildren = workers.flatMap { pid -> [Int32] in
                let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
                return threads.flatMap { thread -> [Int32] in
                    let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/children", encoding: .utf8)) ?? ""
                    return text.split(separator: " ").compactMap { Int32($0) }
                }
            }
            #expect(!workers.isEmpty)
            #expect(grandchildren.isEmpty, "the inner pools' workers are gone: \(grandchildren)")
        }
    }
}
