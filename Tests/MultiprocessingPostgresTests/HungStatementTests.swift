#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Testing

extension DistributedPoolTests {
    /// A host's statement that the server never answers (as one sent on a connection that died
    /// unseen in a restart) wedged the host: its claim loop waited for ever while the heartbeat
    /// went on. Here the server sleeps in the first update of job A's task, holding its row; the
    /// host must abandon that claim, claim job B's tasks, and finish B while A's row is held.
    @Test func aHostStatementTheServerNeverAnswersIsAbandonedAndTheHostGoesOn() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("hung")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let first = try await pool.start(PGSquare(), [7])
        let function = "mp_test_hang_\(first.id)"
        try await withTestClient(server.url) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE SEQUENCE \(function)_once"))
            try await client.query(PostgresQuery(unsafeSQL: """
                CREATE FUNCTION \(function)() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF nextval('\(function)_once') = 1 THEN PERFORM pg_sleep(600); END IF; RETURN NEW; END $$
                """))
            try await client.query(PostgresQuery(unsafeSQL: """
                CREATE TRIGGER \(function) BEFORE UPDATE ON mp_tasks FOR EACH ROW
                WHEN (OLD.job_id = \(first.id)) EXECUTE FUNCTION \(function)()
                """))
        }
        func sleepers() async throws -> [Int32] {
            try await withTestClient(server.url) { client in
                var pids: [Int32] = []
                for try await pid in try await client.query(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE '%mp_tasks%'").decode(Int32.self) {
                    pids.append(pid)
                }
                return pids
            }
        }
        func cleanUp() async throws {
            try await withTestClient(server.url) { client in
                // The sleeper first: dropping the trigger waits for every transaction on the table,
                // and every statement after it waits behind the drop.
                try await client.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE '%mp_tasks%'")
                try await client.query(PostgresQuery(unsafeSQL: "DROP TRIGGER IF EXISTS \(function) ON mp_tasks"))
                try await client.query(PostgresQuery(unsafeSQL: "DROP FUNCTION IF EXISTS \(function)()"))
                try await client.query(PostgresQuery(unsafeSQL: "DROP SEQUENCE IF EXISTS \(function)_once"))
            }
        }
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2)
        do {
            // The host's claim of job A sleeps in the server: the fault is in place.
            try await waitUntil(timeout: .seconds(60)) { try await !sleepers().isEmpty }
            let second = try await pool.start(PGSquare(), Array(0..<20))
            do {
                try await waitUntil(timeout: .seconds(90)) { try await pool.status().done == 20 }
            } catch {
                Issue.record("job B did not finish within 90 s while the host's claim of job A hung: the host is wedged")
                throw error
            }
            #expect(try await second.results().map { try? $0.get() } == (0..<20).map { $0 * $0 })
            #expect(try await !sleepers().isEmpty, "job A's row was still held while B ran")
        } catch {
            Issue.record("\(String(reflecting: error))")
            try? await cleanUp()
            throw error
        }
        try await cleanUp()
        // Its row released, job A runs too.
        #expect(try await first.results().map { try? $0.get() } == [49])
        _ = host
    }
}
#endif  // Postgres
