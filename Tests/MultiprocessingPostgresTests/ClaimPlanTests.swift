#if Postgres
import Foundation
import Logging
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Testing

extension DistributedPoolTests {
    /// Once the table had been analyzed while full of finished tasks, the planner believed no
    /// task was pending and ran the claim as a loop over every pending task of the queue, once
    /// per offered task: a 20,000-task job claimed at 648 tasks/s instead of 11,000 (pg-tiny on a
    /// reused database). The claim's work must grow with what it takes, not with what waits.
    /// Its own database, so that the statistics are exactly those described here.
    @Test func aClaimAfterTheTableWasAnalyzedFullOfFinishedTasksReadsOnlyWhatItTakes() async throws {
        let server = try await PostgresServer.shared.start()
        let database = "mp_plan_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await withTestClient(server.url) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)"))
        }
        let url = try #require(server.url.replacingOccurrences(of: "/postgres?", with: "/\(database)?")
            .nilIfUnchanged(from: server.url), "the test server's URL names no database to replace")
        let queue = uniqueQueue("plan")
        let pool = try await DistributedProcessPool(url: url, queue: queue)
        let tasks = 20_000
        let finished = try await pool.start(PGSquare(), Array(0..<tasks))
        try await withTestClient(url) { client in
            try await client.query("""
                UPDATE mp_tasks SET state = 'done', attempts = 1, output = input, done_seq = nextval('mp_done_seq'),
                                    collected = true WHERE job_id = \(finished.id)
                """)
            try await client.query("UPDATE mp_jobs SET state = 'finished', finished_at = now() WHERE id = \(finished.id)")
            try await client.query("ANALYZE mp_tasks")
            try await client.query("ANALYZE mp_jobs")
        }
        let waiting = try await pool.start(PGSquare(), Array(0..<tasks))
        let limit = 64
        let claim = ClaimStatement.query(queue: queue, hostID: "plan-test", leaseMS: 60_000, limit: limit, limitedJobs: false)
        let logger = Logger(label: "claim-plan-test")
        let (plan, claimed) = try await withTestClient(url) { client in
            try await client.withConnection { connection -> ([String], [Int32]) in
                // Rolled back: the plan is read by running the claim, which must take nothing for good.
                try await connection.query("BEGIN", logger: logger)
                var plan: [String] = []
                let explained = PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, COSTS OFF) " + claim.sql, binds: claim.binds)
                for try await line in try await connection.query(explained, logger: logger).decode(String.self) {
                    plan.append(line)
                }
                try await connection.query("ROLLBACK", logger: logger)
                try await connection.query("BEGIN", logger: logger)
                var claimed: [Int32] = []
                for try await row in try await connection.query(claim, logger: logger).decode((Int64?, Int32?, ByteBuffer?, Bool).self) {
                    if row.0 == waiting.id, let index = row.1 { claimed.append(index) }
                }
                try await connection.query("ROLLBACK", logger: logger)
                return (plan, claimed)
            }
        }
        pool.close()
        _ = try await withTestClient(server.url) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(database) WITH (FORCE)"))
        }
        #expect(claimed == Array(0..<Int32(limit)), "the claim took the waiting job's first \(limit) tasks in order")
        let rowsRead = Self.rowsThroughPlan(plan)
        #expect(rowsRead < tasks, """
            the claim of \(limit) tasks passed \(rowsRead) rows through its plan, more than the \(tasks) tasks waiting:
            \(plan.joined(separator: "\n"))
            """)
    }

    /// The rows every node of an `EXPLAIN ANALYZE` text plan produced, over all its loops.
    static func rowsThroughPlan(_ plan: [String]) -> Int {
        plan.reduce(0) { total, line in
            guard let actual = line.range(of: "(actual ") else { return total }
            let figures = line[actual.upperBound...]
            func figure(_ name: String) -> Int? {
                guard let start = figures.range(of: name + "=") else { return nil }
                return Int(figures[start.upperBound...].prefix { $0.isNumber })
            }
            return total + (figure("rows") ?? 0) * (figure("loops") ?? 1)
        }
    }
}

private extension String {
    func nilIfUnchanged(from original: String) -> String? { self == original ? nil : self }
}
#endif  // Postgres
