#if Postgres
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Multiprocessing
import MultiprocessingPostgresChaos
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Testing

/// The dashboard's latency chart and its dead letters' stderr tails, against the built
/// `mp-postgres dashboard`, hosts as processes, and (for the page) headless Chromium.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DashboardLatencyTests {
    @Test func theLatencyEndpointEqualsTheTasksTimesInTheDatabase() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("dash-latency")
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2, leaseSeconds: 10)
        let dashboard = try await DashboardProcess(url: server.url, arguments: ["--queue", queue])
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        try await waitUntil { try await pool.status().hosts.count == 1 }

        // 12 tasks of 300 ms on two workers: each is held at least 300 ms.
        let job = try await pool.start(PGNap(milliseconds: 300), Array(0..<12))
        _ = try await job.results()

        // What the table holds, each task's minute and seconds, read apart from the library.
        let rows = try await withTestClient(server.url) { client in
            var rows: [(minute: Double, run: Double, wait: Double)] = []
            for try await row in try await client.query("""
                SELECT extract(epoch FROM date_trunc('minute', t.ended_at))::float8,
                       extract(epoch FROM t.ended_at - t.claimed_at)::float8,
                       extract(epoch FROM t.claimed_at - greatest(t.queued_at, j.stored_at))::float8
                FROM mp_tasks t JOIN mp_jobs j ON j.id = t.job_id WHERE t.job_id = \(job.id) AND t.state = 'done'
                """).decode((Double, Double, Double).self) {
                rows.append((row.0, row.1, row.2))
            }
            return rows
        }
        #expect(rows.count == 12)
        #expect(rows.allSatisfy { $0.run >= 0.3 && $0.wait >= 0 }, "\(rows)")

        // The dashboard reads the latency every 10 s.
        let read = try await dashboard.eventually([DashboardLatency].self, "/api/latency", timeout: .seconds(30)) {
            $0.first?.minutes.reduce(0) { $0 + $1.tasks } == 12
        }
        let latency = try #require(read.first)
        #expect(read.count == 1 && latency.queue == queue)
        let byMinute = Dictionary(grouping: rows, by: \.minute)
        #expect(latency.minutes.map(\.minute) == byMinute.keys.sorted())
        for minute in latency.minutes {
            let ofMinute = byMinute[minute.minute] ?? []
            #expect(minute.tasks == ofMinute.count)
            let (runs, waits) = (ofMinute.map(\.run), ofMinute.map(\.wait))
            // The endpoint gives milliseconds.
            for (shown, held) in [(minute.runP50, percentile(runs, 0.5)), (minute.runP95, percentile(runs, 0.95)),
                                  (minute.waitP50, percentile(waits, 0.5)), (minute.waitP95, percentile(waits, 0.95))] {
                #expect(abs(shown - held) <= 0.0006, "\(shown) shown, \(held) in the table")
            }
            #expect(minute.runP50 >= 0.3)
        }
        // The database's clock: the reading came after the last task ended.
        #expect(latency.now >= (latency.minutes.last?.minute ?? .infinity))
        _ = host
    }

    @Test func aDyingTasksLastStderrLinesShowInTheEndpointAndThePage() async throws {
        let chromium = try #require(Chromium.path, "no chromium: .ci/run installs Debian's package")
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("dash-stderr")
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 1, leaseSeconds: 10)
        let dashboard = try await DashboardProcess(url: server.url, arguments: ["--queue", queue])
        let pool = try await DistributedProcessPool(url: server.url, queue: queue, options: .init(maxAttempts: 2))
        defer { pool.close() }
        let job = try await pool.start(PGStderrThenExit(lines: 30), [7])
        _ = try await job.results()

        // The local pool keeps a worker's last 20 lines: lines 11 to 30, in order, for each attempt.
        let kept = (11...30).map { "stderr line \($0) of 30" }
        let detail = try await dashboard.eventually(DashboardJobDetail.self, "/api/jobs/\(job.id)") {
            $0.deadLetters.first?.attempts.count == 2
        }
        let letter = try #require(detail.deadLetters.first)
        #expect(letter.attempts.count == 2)
        for attempt in letter.attempts {
            #expect(Array(attempt.stderrTail.suffix(20)) == kept, "\(attempt.stderrTail)")
            #expect(!attempt.stderrTail.contains("stderr line 10 of 30"))
            #expect(attempt.cause == "worker crashed: exited with status 3")
        }
        // The server's readings (the detail above is read when asked): the first may not have come yet.
        let dead = try await dashboard.eventually([DashboardDeadLetter].self, "/api/dead") { !$0.isEmpty }
        #expect(dead.first?.attempts.first.map { Array($0.stderrTail.suffix(20)) } == kept)

        // The page shows every kept line of both attempts.
        let dom = try await Chromium.eventually(chromium, dashboard.base) {
            Chromium.deadLetter($0, jobID: job.id, index: 0) != nil
        }
        let shown = try #require(Chromium.deadLetter(dom, jobID: job.id, index: 0))
        for line in kept {
            #expect(shown.components(separatedBy: line).count - 1 == 2, "\(line) shown once per attempt")
        }
        #expect(!shown.contains("stderr line 10 of 30"))
        _ = host
    }
}

/// `percentile_cont`: linear between the two nearest of the sorted values.
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let position = p * Double(sorted.count - 1)
    let (low, high) = (Int(position.rounded(.down)), Int(position.rounded(.up)))
    return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
}
#endif  // Postgres
