#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import Testing

extension DistributedPoolTests {
    /// Cancelling a call fails it with `CancellationError`, as on a local pool, whichever call it is.
    @Test func cancellingACallFailsItWithCancellationError() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("cancelerror")
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let nap = PGNap(milliseconds: 600_000)

        func cancelWhenRunning<T: Sendable>(_ call: Task<T, any Error>) async throws -> (any Error)? {
            try await waitUntil { try await pool.status().running >= 1 }
            call.cancel()
            do {
                _ = try await call.value
                return nil
            } catch {
                return error
            }
        }
        // Each call starts when its turn comes.
        let calls: [(String, () -> Task<Int, any Error>)] = [
            ("map", { Task { try await pool.map(nap, [1, 2]).count } }),
            ("apply", { Task { try await pool.apply(nap, 1) } }),
            ("imap", { Task {
                var count = 0
                for try await _ in try pool.imap(nap, [1, 2]) { count += 1 }
                return count
            } }),
            ("imapUnordered", { Task {
                var count = 0
                for try await _ in try pool.imapUnordered(nap, [1, 2]) { count += 1 }
                return count
            } }),
        ]
        for (name, makeCall) in calls {
            let error = try await cancelWhenRunning(makeCall())
            #expect(error is CancellationError, "\(name) ended with \(String(describing: error))")
            try await waitUntil { try await pool.status().running == 0 }
        }
        // A submitted call: cancelling a task that reads its handle ends that read only, as on a
        // local pool (a handle is a value others may read); the work goes on.
        let handle = try pool.submit(nap, 1)
        try await waitUntil { try await pool.status().running >= 1 }
        let reader = Task { try await handle.value }
        reader.cancel()
        do {
            _ = try await reader.value
            Issue.record("a cancelled read of a submit's handle returned")
        } catch {
            #expect(error is CancellationError, "the cancelled read ended with \(error)")
        }
        #expect(!handle.isFinished)
        #expect(try await pool.status().running == 1)
        // Cancelled through its handle, it stops.
        handle.cancel()
        do {
            _ = try await handle.value
            Issue.record("a cancelled submit returned")
        } catch {
            #expect(error is CancellationError, "submit's handle ended with \(error)")
        }
        try await waitUntil { try await pool.status().running == 0 }
        _ = host
    }
}
#endif  // Postgres
