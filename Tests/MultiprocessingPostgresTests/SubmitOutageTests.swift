#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import Testing

// Submitting rides out an outage too (issue 12, point 1): `start` is retried with back-off, and
// idempotently: a try whose reply was lost after it committed does not store the job twice.
extension DistributedPoolTests {
    @Test func aJobSubmittedWhileTheServerIsDownIsStoredOnceItIsBack() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("submitdown")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 1)
        try PostgresServer.stop()
        let map = Task { try await pool.map(PGSquare(), Array(0..<50)) }
        try await Task.sleep(for: .milliseconds(1_500))
        try PostgresServer.startAgain()
        let results = try await withHangGuard(.seconds(120), "the map submitted during the outage") { try await map.value }
        #expect(results == (0..<50).map { $0 * $0 })
        let jobs = try await withTestClient(server.url) { client in
            try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE queue = \(queue)")
        }
        #expect(jobs == 1)
        _ = host
    }

    @Test func submissionsCutByRestartsAtRandomPointsAreEachStoredExactlyOnce() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("submitcut")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let rounds = 4, tasks = 20_000
        for _ in 0..<rounds {
            let submit = Task { try await pool.start(PGSquare(), Array(0..<tasks)).id }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...400)))
            try await PostgresServer.restart(down: .milliseconds(Int.random(in: 200...1_000)))
            _ = try await withHangGuard(.seconds(120), "a submission cut by a restart") { try await submit.value }
        }
        let (jobs, rows) = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE queue = \(queue)"),
             try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE queue = \(queue)"))
        }
        #expect(jobs == rounds)
        #expect(rows == rounds * tasks)
    }
}
#endif  // Postgres
