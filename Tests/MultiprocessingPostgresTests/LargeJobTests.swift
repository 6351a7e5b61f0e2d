#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Testing

// Scale (issue 12, point 8): a job of any size can be submitted and collected through the
// outage retries, whose every try is bounded in time. The work is stored and read in bounded
// pieces, so that no single try grows with the job; a half-stored job is never run.
extension DistributedPoolTests {
    /// A submission that takes longer than one try may, and longer than the whole outage
    /// tolerance (the server made slow: each row of the queue's statements costs 0.5 ms, so one
    /// statement over all 30,000 rows takes 15 s, past a try's 5 s and the tolerance's 12 s), is
    /// still stored, once, and runs to the right results.
    @Test func aSubmissionLongerThanOneTryIsStoredInPiecesAndRuns() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("bigsubmit")
        let count = 30_000
        let pool = try await DistributedProcessPool(url: server.url, queue: queue, options: .init(outageTolerance: .seconds(12)))
        defer { pool.close() }
        let slow = try await SlowRows(url: server.url, queue: queue, statement: "INSERT")
        let job: DistributedJob<Int>
        do {
            job = try await withHangGuard(.seconds(120), "the slow submission") { try await pool.start(PGSquare(), Array(0..<count)) }
        } catch {
            try await slow.remove()
            throw error
        }
        try await slow.remove()
        let stored = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE queue = \(queue) AND state = 'running' AND total = \(count)"),
             try await scalar(client, "SELECT count(DISTINCT idx) FROM mp_tasks WHERE job_id = \(job.id)"))
        }
        #expect(stored.0 == 1 && stored.1 == count)
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2, claimBatch: 512)
        let results = try await withHangGuard(.seconds(240), "the big job's results") { try await job.results() }
        #expect(results.count == count)
        #expect(results.enumerated().allSatisfy { index, result in (try? result.get()) == index * index })
        _ = host
    }

    /// Collecting a job whose results all wait at once, when reading them in one statement
    /// would take longer than one try may: every result arrives, right, each once.
    @Test func collectingMoreResultsThanOneTryCanReadDeliversEachOnce() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("bigcollect")
        let count = 30_000
        let pool = try await DistributedProcessPool(url: server.url, queue: queue, options: .init(outageTolerance: .seconds(12)))
        defer { pool.close() }
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2, claimBatch: 512)
        let job = try await pool.start(PGSquare(), Array(0..<count))
        try await waitUntil(timeout: .seconds(240)) { try await pool.status().done == count }
        let slow = try await SlowRows(url: server.url, queue: queue, statement: "UPDATE")
        let indices: [Int]
        do {
            indices = try await withHangGuard(.seconds(180), "collecting the results") {
                var indices: [Int] = []
                for try await outcome in job.outcomes() {
                    #expect((try? outcome.result.get()) == outcome.index * outcome.index)
                    indices.append(outcome.index)
                }
                return indices
            }
        } catch {
            try await slow.remove()
            throw error
        }
        try await slow.remove()
        #expect(indices.count == count)
        #expect(indices.sorted() == Array(0..<count))
        _ = host
    }

    /// While a job's tasks are still being stored, no host runs any of them; a submission
    /// cancelled half-way removes what it stored.
    @Test func aHalfStoredJobIsNeverRunAndACancelledSubmissionRemovesIt() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("halfstored")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2)
        let slow = try await SlowRows(url: server.url, queue: queue, statement: "INSERT")
        let submit = Task { try await pool.start(PGSquare(), Array(0..<30_000)) }
        do {
            // Some pieces are stored and visible (committed), the job is not yet open.
            try await waitUntil(timeout: .seconds(60)) {
                try await withTestClient(server.url) { client in
                    try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE queue = \(queue)")
                } >= 10_000
            }
            // Two of the hosts' polls: nothing of it is claimed.
            try await Task.sleep(for: .seconds(2))
            let taken = try await withTestClient(server.url) { client in
                try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE queue = \(queue) AND state <> 'pending'")
            }
            #expect(taken == 0)
            submit.cancel()
            let outcome = await submit.result
            #expect(throws: CancellationError.self) { try outcome.get() }
        } catch {
            submit.cancel()
            try await slow.remove()
            throw error
        }
        try await slow.remove()
        let left = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE queue = \(queue)"),
             try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE queue = \(queue)"))
        }
        #expect(left.0 == 0 && left.1 == 0)
        _ = host
    }

    /// Inputs are encoded as they are stored; one that is too large, past the first pieces,
    /// fails the submission and leaves nothing in the queue.
    @Test func anInputTooLargePastTheFirstPiecesLeavesNothingStored() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("toolarge")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue, options: .init(maxPayloadBytes: 64))
        defer { pool.close() }
        let inputs = (0..<20_000).map { $0 == 17_000 ? String(repeating: "x", count: 100) : "\($0)" }
        await #expect(throws: DistributedPoolError.self) { _ = try await pool.start(PGLength(), inputs) }
        let left = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE queue = \(queue)"),
             try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE queue = \(queue)"))
        }
        #expect(left.0 == 0 && left.1 == 0)
    }

    /// A job left half-stored by a submitter that went away (it is never opened) is removed by
    /// retention once nothing was stored into it for an hour.
    @Test func anAbandonedHalfStoredJobIsRemovedByRetention() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("abandoned")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let recent = try await pool.start(PGSquare(), [1, 2])
        let old = try await pool.start(PGSquare(), [3, 4])
        try await withTestClient(server.url) { client in
            _ = try await client.query("UPDATE mp_jobs SET state = 'loading', stored_at = now() WHERE id = \(recent.id)")
            _ = try await client.query(
                "UPDATE mp_jobs SET state = 'loading', stored_at = now() - interval '61 minutes' WHERE id = \(old.id)")
        }
        #expect(try await pool.removeFinishedJobs(olderThan: .seconds(7 * 86_400)) == 1)
        let left = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE id = \(recent.id)"),
             try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE id = \(old.id)"),
             try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE job_id = \(old.id)"))
        }
        #expect(left == (1, 0, 0))
    }
}

/// The length of a text.
struct PGLength: Job {
    func run(_ text: String) async throws -> Int { text.count }
}

/// Makes the server slow for one queue's rows: every `INSERT` or `UPDATE` statement on
/// `mp_tasks` waits 0.5 ms per row of the queue it touched (a statement-level trigger over its
/// transition table), as a server under load takes time in proportion to the work.
struct SlowRows {
    let url: String
    let name: String

    init(url: String, queue: String, statement: String) async throws {
        self.url = url
        name = "mp_slow_\(UUID().uuidString.prefix(8).lowercased())"
        let (name, sql) = (name, Self.sql(name: name, queue: queue, statement: statement))
        try await withTestClient(url) { client in
            for statement in sql { _ = try await client.query(PostgresQuery(unsafeSQL: statement)) }
            _ = name
        }
    }

    private static func sql(name: String, queue: String, statement: String) -> [String] {
        [
            """
            CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_sleep(0.0005 * (SELECT count(*) FROM rows WHERE queue = '\(queue)'));
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER \(name) AFTER \(statement) ON mp_tasks REFERENCING NEW TABLE AS rows
            FOR EACH STATEMENT EXECUTE FUNCTION \(name)()
            """,
        ]
    }

    func remove() async throws {
        let name = name
        try await withTestClient(url) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: "DROP TRIGGER IF EXISTS \(name) ON mp_tasks"))
            _ = try await client.query(PostgresQuery(unsafeSQL: "DROP FUNCTION IF EXISTS \(name)()"))
        }
    }
}
#endif  // Postgres
