#if Postgres
import Foundation
import Logging
import Multiprocessing
import MultiprocessingPostgres
import PostgresNIO
import Testing

// Found by `mp-postgres chaos --rounds 10`: a collector's marking of a page deadlocked with a
// host's write-back on the same rows (SQLSTATE 40P01), and the collector failed the whole job
// ("lost" 169 and 1,447 results). The server aborts one transaction of a deadlock; the other
// goes on, and the aborted one, tried again, succeeds: it costs latency, never the job.
extension DistributedPoolTests {
    /// Another transaction holds the page's last row and then waits for its first, which the
    /// collector's marking holds while it waits for the last: the server detects the deadlock
    /// in the collector's statement (it waited first) and aborts it. The collector tries again
    /// and delivers every result once, and the job ends finished.
    @Test func aCollectorWhoseMarkingDeadlocksTriesAgainAndDeliversEverything() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("deadlock")
        let host = try ChildProgram.host(url: server.url, queue: queue)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let count = 10
        let job = try await pool.start(PGSquare(), Array(0..<count))
        try await waitUntil { try await pool.status().done == count }

        let logger = Logger(label: "deadlock-test")
        let indices = try await withTestClient(server.url) { client in
            try await client.withConnection { other in
                try await other.query("BEGIN", logger: logger)
                try await other.query("UPDATE mp_tasks SET collected = collected WHERE job_id = \(job.id) AND idx = \(Int32(count - 1))",
                                      logger: logger)
                // Reads the one page of results (reading takes no row locks), then marks it and waits on the last row.
                let collecting = Task {
                    var indices: [Int] = []
                    for try await outcome in job.outcomes() { indices.append(outcome.index) }
                    return indices
                }
                try await waitUntil {
                    try await scalar(client, """
                        SELECT count(*) FROM pg_stat_activity
                        WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE mp_tasks SET collected = true%'
                        """) == 1
                }
                try await other.query("UPDATE mp_tasks SET collected = collected WHERE job_id = \(job.id) AND idx = 0",
                                      logger: logger)
                try await other.query("COMMIT", logger: logger)
                return try await collecting.value
            }
        }
        #expect(indices.sorted() == Array(0..<count))
        let finished = try await withTestClient(server.url) { client in
            try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE id = \(job.id) AND state = 'finished'")
        }
        #expect(finished == 1)
        _ = host
    }
}
#endif  // Postgres
