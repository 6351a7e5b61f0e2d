#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DistributedPoolTests {
    @Test func theHeartbeatRenewsOnlyTheTasksTheHostIsRunning() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("heartbeat")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        // No host yet: task 0 is marked running as if a claim's reply had been lost.
        let job = try await pool.start(PGSquare(), Array(0..<5))
        try await withTestClient(server.url) { client in
            _ = try await client.query("""
                UPDATE mp_tasks SET state = 'running', attempts = 1, host = 'nobody yet',
                    lease_until = now() + interval '1 hour' WHERE job_id = \(job.id) AND idx = 0
                """)
        }
        let host = try ChildProgram.host(url: server.url, queue: queue, leaseSeconds: 2)
        try await waitUntil { try await pool.status().hosts.count == 1 }
        let hostID = try #require(try await pool.status().hosts.first?.id)
        // Now the host's id is on a task it never claimed, with a lease of 2 s.
        try await withTestClient(server.url) { client in
            _ = try await client.query("""
                UPDATE mp_tasks SET host = \(hostID), lease_until = now() + interval '2 seconds'
                WHERE job_id = \(job.id) AND idx = 0
                """)
        }
        // Its heartbeat must let that lease expire; then the task runs again.
        try await waitUntil(timeout: .seconds(30)) { try await pool.status().done == 5 }
        #expect(try await job.results().map { try? $0.get() } == [0, 1, 4, 9, 16])
        let expired = try await withTestClient(server.url) { client in
            try await scalar(client, """
                SELECT count(*) FROM mp_tasks WHERE job_id = \(job.id) AND idx = 0
                  AND 'lease expired: the host stopped answering' = ANY(causes)
                """)
        }
        #expect(expired == 1)
        _ = host
    }

    @Test func aHostWhoseLocalPoolFailedHandsItsTasksBackAtOnceAndStops() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("brokenpool")
        // A copy of this executable (the same build: the same bytes) whose file then changes,
        // as in a deploy that replaces it in place: its host's local pool can start no worker.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("mp-pg-host-copy-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: ChildProgram.testExecutable, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        // A lease of a minute: the tasks can only come back in time if the host hands them back.
        let broken = try ChildProgram.host(copy, url: server.url, queue: queue, processes: 1, leaseSeconds: 60, claimBatch: 4)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let job = try await pool.start(PGNap(milliseconds: 1_000), Array(0..<8))
        // It holds one task per free worker (long tasks: no prefetch), the others stay pending.
        try await waitUntil { try await pool.status().running == 1 }
        let workers = childPIDs(of: broken.pid)
        #expect(workers.count == 1)
        let later = timespec(tv_sec: time(nil) + 100, tv_nsec: 0)
        var times = [later, later]
        #expect(utimensat(AT_FDCWD, copy, &times, 0) == 0)
        for worker in workers { kill(worker, SIGKILL) }

        // The host stops with a clear error, and its tasks are pending again long before their leases end.
        let code = await broken.exitCode(within: .seconds(40))
        #expect(code != nil && code != 0)
        #expect(broken.log.contains("local worker pool failed"))
        try await waitUntil(timeout: .seconds(5)) {
            let status = try await pool.status()
            return status.running == 0 && status.pending + status.done == 8
        }
        // Handing back cost no attempt (only the task whose worker was killed may have spent one).
        let attempted = try await withTestClient(server.url) { client in
            try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE job_id = \(job.id) AND attempts > 0 AND state = 'pending'")
        }
        #expect(attempted <= 1)

        let good = try ChildProgram.host(url: server.url, queue: queue, processes: 2)
        #expect(try await job.results().map { try? $0.get() } == (0..<8).map { Optional($0) })
        _ = good
    }
}
#endif  // Postgres
