#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Testing

// Bounded and retained (issue 12, point 7): jobs nobody collects are removed by retention too,
// and a late success after a task was dead-lettered changes nothing but its duplicates count.
extension DistributedPoolTests {
    @Test func aJobNobodyCollectsIsStillRemovedByRetention() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("uncollected")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        // Two workers: one for the task that stays running, one for the others.
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2)
        // Submitted and never collected (as by a submitter that went away).
        let job = try await pool.start(PGSquare(), Array(0..<4))
        let open = try await pool.start(PGNap(milliseconds: 60_000), [0])
        try await waitUntil { try await pool.status().done == 4 }
        // Within the retention: it stays, and can still be collected.
        #expect(try await pool.removeFinishedJobs(olderThan: .seconds(3_600)) == 0)
        let again = try await pool.attach(jobID: job.id, outputType: Int.self)
        #expect(try await again.results().map { try? $0.get() } == [0, 1, 4, 9])
        // Past it, it goes; a job with a task still running does not.
        let fresh = try await pool.start(PGSquare(), [5])
        try await waitUntil { try await pool.status().done == 5 }
        #expect(try await pool.removeFinishedJobs(olderThan: .zero) == 2)
        let left = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE id IN (\(job.id), \(fresh.id))"),
             try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE id = \(open.id) AND state = 'running'"))
        }
        #expect(left.0 == 0 && left.1 == 1)
        try await pool.cancel(jobID: open.id)
        _ = host
    }

    @Test func aLateSuccessAfterDeadLetteringOnlyCountsAsADuplicate() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("latesuccess")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue, options: .init(maxAttempts: 1))
        defer { pool.close() }
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 1, leaseSeconds: 30)
        let job = try await pool.start(PGNap(milliseconds: 3_000), [7])
        try await waitUntil { try await pool.status().running == 1 }
        // What the lease reaper does to a task past its lease on its last attempt, while its
        // (slow, not dead) host still runs it.
        try await withTestClient(server.url) { client in
            _ = try await client.query("""
                UPDATE mp_tasks SET state = 'dead', error = 'lease expired: the host stopped answering',
                    causes = causes || 'lease expired: the host stopped answering'::text,
                    cause_hosts = cause_hosts || coalesce(host, '?'), done_seq = nextval('mp_done_seq'),
                    lease_until = NULL
                WHERE job_id = \(job.id) AND idx = 0
                """)
        }
        // The host's success arrives later: the dead letter stands, the success is counted.
        try await waitUntil(timeout: .seconds(60)) { try await pool.status().duplicates == 1 }
        let results = try await job.results()
        guard case let .failure(failure) = try #require(results.first) else {
            Issue.record("the late success replaced the dead letter")
            return
        }
        #expect(String(describing: failure).contains("lease expired"))
        let row = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE job_id = \(job.id) AND state = 'dead' AND output IS NULL"),
             try await scalar(client, "SELECT duplicates FROM mp_tasks WHERE job_id = \(job.id)"))
        }
        #expect(row.0 == 1 && row.1 == 1)
        _ = host
    }
}
#endif  // Postgres
