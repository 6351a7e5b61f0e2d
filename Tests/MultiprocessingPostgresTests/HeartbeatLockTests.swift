#if Postgres
import Foundation
import Logging
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Testing

extension DistributedPoolTests {
    /// The heartbeat renewed all of a host's leases in one statement, which waited for any row
    /// another transaction held: its own write-back (the two then deadlocked now and then, one
    /// aborted by the server after a second), a cancel, an operator's session. While it waited,
    /// no lease was renewed and the host looked dead to `status`. Here a session holds one running
    /// task's row for six leases; the host must go on renewing the other task and noting itself
    /// alive, and the job must end with every result right, each task run once.
    @Test func aRowHeldByAnotherSessionDoesNotStopTheHeartbeat() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("heldrow")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2, leaseSeconds: 2)
        let job = try await pool.start(PGNap(milliseconds: 20_000), [0, 1])
        try await waitUntil(timeout: .seconds(60)) { try await pool.status().running == 2 }
        let logger = Logger(label: "heartbeat-lock-test")
        func milliseconds(_ client: PostgresClient, _ sql: PostgresQuery) async throws -> Int {
            try await scalar(client, sql)
        }
        let (seenDuringHold, leaseDuringHold) = try await withTestClient(server.url) { client in
            try await client.withConnection { holder -> ([Int], [Int]) in
                try await holder.query("BEGIN", logger: logger)
                _ = try await holder.query("SELECT 1 FROM mp_tasks WHERE job_id = \(job.id) AND idx = 0 FOR UPDATE", logger: logger)
                var seen: [Int] = []
                var lease: [Int] = []
                for _ in 0..<12 {
                    try await Task.sleep(for: .seconds(1))
                    seen.append(try await milliseconds(client, """
                        SELECT (extract(epoch FROM seen_at) * 1000)::int8 FROM mp_hosts WHERE queue = \(queue)
                        """))
                    lease.append(try await milliseconds(client, """
                        SELECT (extract(epoch FROM lease_until) * 1000)::int8 FROM mp_tasks WHERE job_id = \(job.id) AND idx = 1
                        """))
                }
                try await holder.query("ROLLBACK", logger: logger)
                return (seen, lease)
            }
        }
        // Over 12 s, a heartbeat every lease / 3 notes the host about 18 times: at least 6 distinct.
        #expect(Set(seenDuringHold).count >= 6, "the host stopped noting itself alive while a row was held: \(seenDuringHold)")
        #expect(Set(leaseDuringHold).count >= 6, "the free task's lease stopped being renewed while a row was held: \(leaseDuringHold)")
        #expect(try await job.results().map { try? $0.get() } == [0, 1])
        let reruns = try await withTestClient(server.url) { client in
            try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE job_id = \(job.id) AND attempts <> 1")
        }
        #expect(reruns == 0, "a task ran more than once: its lease expired while the host ran it")
        _ = host
    }
}
#endif  // Postgres
