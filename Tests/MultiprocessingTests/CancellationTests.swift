import Foundation
import Testing
@testable import Multiprocessing

/// Cancelling the task that awaits a local pool's call fails that call with Swift's
/// `CancellationError`, whichever call it is, and stops its work.
@Suite("Cancellation", .timeLimit(.minutes(3)))
struct CancellationTests {
    static let slow = Sleepy(defaultMilliseconds: 60_000)

    /// Starts `call` in a task, cancels the task once the call had time to start, and returns what
    /// the task threw; then checks that the pool still works.
    func cancelled<T: Sendable>(on pool: ProcessPool, afterMilliseconds delay: Int = 300,
                                _ call: @escaping @Sendable () async throws -> T) async throws -> (any Error)? {
        let task = Task { try await call() }
        if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
        task.cancel()
        do {
            _ = try await task.value
            return nil
        } catch {
            #expect(try await pool.apply(Square(), 5) == 25, "the pool goes on")
            return error
        }
    }

    @Test("map")
    func map() async throws {
        try await withProcessPool(workers: 2) { pool in
            let error = try await cancelled(on: pool) { try await pool.map(Self.slow, Array(0..<10), chunkSize: 1) }
            #expect(error is CancellationError, "got \(String(describing: error))")
        }
    }

    @Test("mapResults")
    func mapResults() async throws {
        try await withProcessPool(workers: 2) { pool in
            let error = try await cancelled(on: pool) { try await pool.mapResults(Self.slow, Array(0..<10)) }
            #expect(error is CancellationError, "got \(String(describing: error))")
        }
    }

    @Test("imap iteration")
    func imap() async throws {
        try await withProcessPool(workers: 2) { pool in
            let error = try await cancelled(on: pool) {
                var count = 0
                for try await _ in try pool.imap(Self.slow, 0..<100) { count += 1 }
                return count
            }
            #expect(error is CancellationError, "got \(String(describing: error))")
        }
    }

    @Test("imapUnordered iteration over an input that never yields")
    func imapUnorderedSilentInput() async throws {
        try await withProcessPool(workers: 1) { pool in
            let error = try await cancelled(on: pool) {
                var count = 0
                for try await _ in try pool.imapUnordered(Square(), silentInput()) { count += 1 }
                return count
            }
            #expect(error is CancellationError, "got \(String(describing: error))")
        }
    }

    @Test("imap iteration with results already buffered")
    func imapBuffered() async throws {
        try await withProcessPool(workers: 2) { pool in
            let task = Task {
                var count = 0
                for try await _ in try pool.imap(Square(), 0..<100_000) {
                    count += 1
                    if count == 10 { withUnsafeCurrentTask { $0?.cancel() } }
                }
                return count
            }
            await #expect(throws: CancellationError.self) { try await task.value }
        }
    }

    @Test("apply of a job")
    func apply() async throws {
        try await withProcessPool(workers: 1) { pool in
            let error = try await cancelled(on: pool) { try await pool.apply(Self.slow, 1) }
            #expect(error is CancellationError, "got \(String(describing: error))")
        }
    }

    @Test("apply of a target")
    func applyTarget() async throws {
        try await withProcessPool(workers: 1) { pool in
            let error = try await cancelled(on: pool) { try await pool.apply(SleepTarget(milliseconds: 60_000)) }
            #expect(error is CancellationError, "got \(String(describing: error))")
        }
    }

    @Test("awaiting a handle's value")
    func handleValue() async throws {
        try await withProcessPool(workers: 1) { pool in
            let handle = try pool.submit(Self.slow, 1)
            let reader = Task { try await handle.value }
            try await Task.sleep(for: .milliseconds(300))
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            #expect(!handle.isFinished, "the reader's cancellation does not cancel the job")
            handle.cancel()
            await #expect(throws: CancellationError.self) { try await handle.value }
            let square = try await pool.apply(Square(), 5)
            #expect(square == 25)
        }
    }

    @Test("every call in a task cancelled before it starts", arguments: ["map", "mapResults", "imap", "apply"])
    func cancelledBeforehand(call: String) async throws {
        try await withProcessPool(workers: 1) { pool in
            let before = await startedWorkers(pool, count: 1)
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                switch call {
                case "map": _ = try await pool.map(Self.slow, [1, 2])
                case "mapResults": _ = try await pool.mapResults(Self.slow, [1, 2])
                case "imap": for try await _ in try pool.imap(Self.slow, [1, 2]) {}
                default: _ = try await pool.apply(Self.slow, 1)
                }
            }
            await #expect(throws: CancellationError.self) { try await task.value }
            let square = try await pool.apply(Square(), 5)
            #expect(square == 25)
            #expect(await pool.workerPIDs() == before, "no worker was killed for a call cancelled before it started")
        }
    }
}
