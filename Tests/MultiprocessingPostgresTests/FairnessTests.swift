#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Testing

// Fair and prioritized (issue 12, point 5): open jobs share the hosts, priorities come first,
// a host claims for its free workers only, and no task holds a lease for ever by default.
// Every check is on order (which task ran first, which host ran what), never on speed.
extension DistributedPoolTests {
    @Test func aSmallJobBehindABigOneStartsAtOnce() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("fair")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2)
        try await waitUntil { try await pool.status().hosts.count == 1 }
        let big = try await pool.start(PGNap(milliseconds: 5), Array(0..<2_000))
        let small = try await pool.start(PGNap(milliseconds: 5), Array(0..<10))
        let smallResults = try await withHangGuard(.seconds(120), "the small job") { try await small.results() }
        #expect(smallResults.map { try? $0.get() } == (0..<10).map { Optional($0) })
        // When the small job is complete, most of the big one is still to do: it did not wait
        // for the big job's 2,000 tasks.
        let bigDone = try await withTestClient(server.url) { client in
            try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE job_id = \(big.id) AND state = 'done'")
        }
        #expect(bigDone < 1_000)
        let bigResults = try await withHangGuard(.seconds(180), "the big job") { try await big.results() }
        #expect(bigResults.count == 2_000 && bigResults.allSatisfy { (try? $0.get()) != nil })
        _ = host
    }

    @Test func aHigherPriorityJobIsClaimedFirst() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("priority")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        // Both wait before any host runs: the older, lower one would go first by age.
        let low = try await pool.start(PGNap(milliseconds: 100), Array(0..<6))
        let high = try await pool.start(PGNap(milliseconds: 100), Array(0..<6), priority: 5)
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 1)
        _ = try await withHangGuard(.seconds(120), "both jobs") { (try await low.results(), try await high.results()) }
        let (lastHigh, firstLow) = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT max(done_seq) FROM mp_tasks WHERE job_id = \(high.id)"),
             try await scalar(client, "SELECT min(done_seq) FROM mp_tasks WHERE job_id = \(low.id)"))
        }
        #expect(lastHigh < firstLow)
        let stored = try await withTestClient(server.url) { client in
            try await scalar(client, "SELECT priority FROM mp_jobs WHERE id = \(high.id)")
        }
        #expect(stored == 5)
        _ = host
    }

    @Test func aPoolsPriorityOptionAppliesToItsCalls() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("prioopt")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue, options: .init(priority: -3))
        defer { pool.close() }
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 1)
        #expect(try await pool.map(PGSquare(), [1, 2, 3]) == [1, 4, 9])
        #expect(try await pool.map(PGSquare(), [4], priority: 7) == [16])
        let priorities = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE queue = \(queue) AND priority = -3"),
             try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE queue = \(queue) AND priority = 7"))
        }
        #expect(priorities.0 == 1 && priorities.1 == 1)
        _ = host
    }

    @Test func aHostClaimsForItsFreeWorkersOnlySoAnotherHostGetsLongTasks() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("hoard")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let first = try ChildProgram.host(url: server.url, queue: queue, processes: 2)
        try await waitUntil { try await pool.status().hosts.count == 1 }
        let job = try await pool.start(PGNap(milliseconds: 2_000), Array(0..<8))
        try await waitUntil { try await pool.status().running >= 2 }
        // The first host is busy with its two; the six others must still be there to claim.
        let second = try ChildProgram.host(url: server.url, queue: queue, processes: 2)
        let results = try await withHangGuard(.seconds(120), "the long tasks") { try await job.results() }
        #expect(results.map { try? $0.get() } == (0..<8).map { Optional($0) })
        let hosts = try await withTestClient(server.url) { client in
            try await scalar(client, "SELECT count(DISTINCT host) FROM mp_tasks WHERE job_id = \(job.id) AND state = 'done'")
        }
        #expect(hosts == 2)
        _ = (first, second)
    }

    @Test func aTaskWithoutATimeoutStopsAtTheDefaultMaximumRunTime() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("maxrun")
        let pool = try await DistributedProcessPool(
            url: server.url, queue: queue, options: .init(maxAttempts: 1, defaultMaxRunTime: .seconds(1)))
        defer { pool.close() }
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 1)
        // A nap of ten minutes, no timeout given: the default maximum ends it.
        let job = try await pool.start(PGNap(milliseconds: 600_000), [0])
        let results = try await withHangGuard(.seconds(120), "the endless task") { try await job.results() }
        guard case let .failure(failure) = try #require(results.first) else {
            Issue.record("the endless task succeeded")
            return
        }
        #expect(String(describing: failure).contains("timed out"))
        // Unlimited only when asked: nil stores no limit.
        let unlimited = try await DistributedProcessPool(
            url: server.url, queue: queue, options: .init(defaultMaxRunTime: nil))
        defer { unlimited.close() }
        let endless = try await unlimited.start(PGSquare(), [2])
        #expect(try await endless.results().map { try? $0.get() } == [4])
        // By default, a limit is stored (the documented default of an hour).
        let standard = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { standard.close() }
        let bounded = try await standard.start(PGSquare(), [3])
        #expect(try await bounded.results().map { try? $0.get() } == [9])
        let limits = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT coalesce(timeout_ms, -1) FROM mp_jobs WHERE id = \(job.id)"),
             try await scalar(client, "SELECT coalesce(timeout_ms, -1) FROM mp_jobs WHERE id = \(endless.id)"),
             try await scalar(client, "SELECT coalesce(timeout_ms, -1) FROM mp_jobs WHERE id = \(bounded.id)"))
        }
        #expect(limits.0 == 1_000 && limits.1 == -1 && limits.2 == 3_600_000)
        _ = host
    }
}
#endif  // Postgres
