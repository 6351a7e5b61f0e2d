#if Postgres
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Multiprocessing
import MultiprocessingPostgresChaos
@_spi(Testing) import MultiprocessingPostgres
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `mp-postgres dashboard` as its users run it: the built tool as a process, against the
/// throwaway server, with worker hosts as processes; its endpoints read over HTTP, its page in
/// headless Chromium (Debian's package, which `.ci/run` installs).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DashboardTests {
    @Test func theEndpointsFiguresEqualStatusAndTheActionsWorkOnlyWithTheToken() async throws {
        let server = try await PostgresServer.shared.start()
        let password = try #require(try PostgresConnectionSettings(url: server.url).password)
        let queue = uniqueQueue("dash")
        let token = "t-\(UUID().uuidString)"
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2, leaseSeconds: 10)
        let dashboard = try await DashboardProcess(url: server.url, arguments: ["--queue", queue, "--token", token])
        let pool = try await DistributedProcessPool(url: server.url, queue: queue, options: .init(maxAttempts: 2))
        defer { pool.close() }
        try await waitUntil { try await pool.status().hosts.count == 1 }

        // A job that ends well, and one with a dead letter (13 crashes its worker each time).
        _ = try await pool.map(PGSquare(), Array(0..<200))
        let poisoned = try await pool.start(PGPoison(), [12, 13, 14])
        _ = try await poisoned.results()

        // Quiet now: the dashboard's next reading equals the status.
        let status = try await pool.status()
        #expect(status.done == 202 && status.dead == 1 && status.pending == 0 && status.running == 0)
        let read: [Int] = [status.pending, status.running, status.done, status.failed, status.dead, status.cancelled,
                           status.duplicates, status.openJobs]
        func figures(_ row: DashboardQueue?) -> [Int] {
            guard let row else { return [] }
            return [row.pending, row.running, row.done, row.failed, row.dead, row.cancelled, row.duplicates, row.openJobs]
        }
        // A reading taken before the last task died may still be served for a second.
        let queues = try await dashboard.eventually([DashboardQueue].self, "/api/queues") { figures($0.first) == read }
        let row = try #require(queues.first)
        #expect(queues.count == 1)
        #expect(row.queue == queue)
        #expect(figures(row) == read)
        // The map's 200 tasks ended within the last minute.
        #expect(row.doneRate > 0)
        let metrics = try await dashboard.get("/metrics")
        #expect(metrics.status == 200)
        // The same text but for the hosts' seconds since their heartbeat, which move.
        let steady = { (text: String) in text.split(separator: "\n").filter { !$0.hasPrefix("mp_host_seconds_since_seen") } }
        #expect(steady(metrics.body) == steady(status.prometheusText))
        #expect(metrics.body.contains("mp_host_seconds_since_seen{queue=\"\(queue)\",host=\"\(status.hosts.first?.id ?? "")\"}"))

        let hosts = try await dashboard.decode([DashboardHost].self, "/api/hosts")
        #expect(hosts.map(\.id) == status.hosts.map(\.id))
        #expect(hosts.first?.workers == 2)
        #expect(hosts.first?.running == status.runningByHost[hosts.first?.id ?? ""] ?? 0)
        #expect(hosts.first?.pid == Int(host.pid))

        let jobs = try await dashboard.decode([DashboardJob].self, "/api/jobs")
        #expect(jobs.count == 2)
        let poisonRow = try #require(jobs.first { $0.id == poisoned.id })
        #expect(poisonRow.total == 3 && poisonRow.done == 2 && poisonRow.dead == 1 && poisonRow.progress == 100)
        #expect(poisonRow.submitter == "\(HostNameForTests.node)/\(getpid())")
        let mapRow = try #require(jobs.first { $0.id != poisoned.id })
        #expect(mapRow.total == 200 && mapRow.done == 200 && mapRow.progress == 100)

        let detail = try await dashboard.decode(DashboardJobDetail.self, "/api/jobs/\(poisoned.id)")
        #expect(detail.job.id == poisoned.id)
        let letter = try #require(detail.deadLetters.first)
        #expect(detail.deadLetters.count == 1 && letter.index == 1)
        #expect(letter.attempts.count == 2)
        for attempt in letter.attempts {
            #expect(attempt.cause.contains("crashed"))
            #expect(attempt.stderrTail.joined().contains("poison input 13"))
            #expect(!attempt.cause.contains("stderr"))
            #expect(attempt.host == hosts.first?.id)
        }
        let dead = try await dashboard.decode([DashboardDeadLetter].self, "/api/dead")
        #expect(dead.map(\.jobID) == [poisoned.id] && dead.first?.attempts.count == 2)
        #expect(try await dashboard.get("/api/jobs/999999999").status == 404)

        // The actions refuse without the token, with a wrong one, and without the header that
        // keeps other sites' pages from sending them.
        let slow = try await pool.start(PGNap(milliseconds: 200), Array(0..<200))
        let actions = ["/api/jobs/\(slow.id)/cancel", "/api/dead/\(poisoned.id)/1/retry",
                       "/api/hosts/\(hosts.first?.id ?? "")/drain"]
        for path in actions {
            #expect(try await dashboard.post(path, token: nil).status == 401)
            #expect(try await dashboard.post(path, token: "wrong").status == 401)
            #expect(try await dashboard.post(path, token: token, marked: false).status == 403)
        }
        #expect(try await pool.jobSummary(id: slow.id)?.state == "running")
        #expect(try await pool.status().dead == 1)

        // With it: cancel.
        let cancel = try await dashboard.post(actions[0], token: token)
        #expect(cancel.status == 200)
        #expect(try await pool.jobSummary(id: slow.id)?.state == "cancelled")
        #expect(try await dashboard.post(actions[0], token: token).status == 409)
        // Retry: the dead task runs again (and dies again: 13 always crashes), keeping the causes
        // of its first two attempts.
        #expect(try await dashboard.post(actions[1], token: token).status == 200)
        let retried = try await dashboard.eventually(DashboardJobDetail.self, "/api/jobs/\(poisoned.id)", timeout: .seconds(60)) {
            $0.deadLetters.first?.attempts.count == 4
        }
        #expect(retried.deadLetters.first?.attempts.count == 4)
        #expect(try await dashboard.post("/api/dead/\(poisoned.id)/0/retry", token: token).status == 409)
        // Drain: the host finishes what it holds and exits 0.
        #expect(try await dashboard.post(actions[2], token: token).status == 200)
        #expect(await host.exitCode(within: .seconds(60)) == 0)
        #expect(try await dashboard.post(actions[2], token: token).status == 404)

        // No response held the password or the URL: every endpoint, the page and the actions' answers.
        for path in ["/", "/api/dashboard", "/api/config", "/api/queues", "/api/hosts", "/api/jobs", "/api/dead",
                     "/api/throughput", "/metrics", "/api/jobs/\(poisoned.id)", "/api/jobs/\(slow.id)"] {
            #expect(try await dashboard.get(path).status == 200, "\(path)")
        }
        let config = try await dashboard.decode(DashboardConfig.self, "/api/config")
        #expect(config.actions == "token")
        #expect(config.database == (try PostgresConnectionSettings(url: server.url)).description)
        for (path, body) in dashboard.bodies.withLock({ $0 }) {
            #expect(!body.contains(password), "\(path) shows the password")
            #expect(!body.contains(server.url), "\(path) shows the URL")
        }
        #expect(!dashboard.program.log.contains(password))
    }

    @Test func withoutATokenActionsAreAllowedOnLoopbackOnly() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("dash-open")
        let loopback = try await DashboardProcess(url: server.url, arguments: ["--queue", queue])
        // Allowed: the unknown job is looked up (404), not refused (401, 403).
        #expect(try await loopback.post("/api/jobs/999999999/cancel", token: nil).status == 404)
        #expect(try await loopback.post("/api/jobs/999999999/cancel", token: nil, marked: false).status == 403)
        // ...but not from a page of another site whose name resolves to loopback (DNS rebinding).
        let rebound = try await loopback.request("POST", "/api/jobs/999999999/cancel",
                                                 headers: ["X-Requested-By": "mp-dashboard", "Host": "evil.example:80"])
        #expect(rebound.status == 403)
        #expect(rebound.body.contains("evil.example"))
        let open = try await loopback.decode(DashboardConfig.self, "/api/config")
        #expect(open.actions == "loopback")

        let everywhere = try await DashboardProcess(url: server.url, arguments: ["--queue", queue, "--bind", "0.0.0.0"])
        let refused = try await everywhere.post("/api/jobs/999999999/cancel", token: nil)
        #expect(refused.status == 403)
        #expect(refused.body.contains("read-only"))
        #expect(try await everywhere.decode(DashboardConfig.self, "/api/config").actions == "read-only")
        // The page still shows: read-only is not closed.
        #expect(try await everywhere.get("/").status == 200)

        let help = SpawnedProgram.run([DashboardProcess.executable, "dashboard", "--help"])
        #expect(help.status == 0)
        // As one line: the help is wrapped to the terminal's width.
        let text = help.output.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        #expect(text.contains("allowed only when the server is bound to loopback"))
        #expect(text.contains("the dashboard is read-only"))
    }

    @Test func thePageInChromiumShowsTheCountsMovingTheBarFullADeadLetterTheLatencyChartAndNoSecret() async throws {
        let chromium = try #require(Chromium.path, "no chromium: .ci/run installs Debian's package")
        let server = try await PostgresServer.shared.start()
        let password = try #require(try PostgresConnectionSettings(url: server.url).password)
        let queue = uniqueQueue("dash-page")
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 1, leaseSeconds: 10)
        let dashboard = try await DashboardProcess(url: server.url, arguments: ["--queue", queue])
        let pool = try await DistributedProcessPool(url: server.url, queue: queue, options: .init(maxAttempts: 2))
        defer { pool.close() }
        let poisoned = try await pool.start(PGPoison(), [13])
        _ = try await poisoned.results()

        // 120 tasks of 100 ms on one worker: 12 s or more, time for two looks while it runs.
        let job = try await pool.start(PGNap(milliseconds: 100), Array(0..<120))
        try await waitUntil { (try await pool.jobSummary(id: job.id)?.done ?? 0) >= 5 }
        let first = try Chromium.dump(chromium, dashboard.base)
        try await Task.sleep(for: .seconds(2))
        let second = try Chromium.dump(chromium, dashboard.base)
        let (doneFirst, doneSecond) = (try #require(Chromium.queueField(first, queue, "done")),
                                       try #require(Chromium.queueField(second, queue, "done")))
        #expect(doneFirst < 120 && doneSecond > doneFirst, "the done count moved: \(doneFirst) then \(doneSecond)")
        #expect(Chromium.jobProgress(first, job.id).map { $0 < 100 } == true)

        _ = try await job.results()
        let last = try await Chromium.eventually(chromium, dashboard.base) { Chromium.jobProgress($0, job.id) == 100 }
        #expect(Chromium.jobProgress(last, job.id) == 100)
        #expect(Chromium.queueField(last, queue, "done") == 120)
        let letter = try #require(Chromium.deadLetter(last, jobID: poisoned.id, index: 0))
        #expect(letter.contains("crashed"))
        #expect(letter.contains("poison input 13"))
        #expect(last.contains("data-host=\""))
        // The latency chart, drawn from the minutes of all 121 tasks (the dead one too; the
        // server reads them every 10 s): a point a minute, the naps held 100 ms or more.
        let drawn = try await Chromium.eventually(chromium, dashboard.base, tries: 30) {
            Chromium.latencyChart($0, queue)?["data-tasks"] == "121"
        }
        let chart = try #require(Chromium.latencyChart(drawn, queue), "no latency chart in the page")
        #expect(chart["data-tasks"] == "121")
        #expect((Int(chart["data-points"] ?? "") ?? 0) >= 1)
        #expect((Double(chart["data-last-run-p50"] ?? "") ?? 0) >= 0.1, "\(chart)")
        for dom in [first, second, last, drawn] {
            #expect(!dom.contains(password))
            #expect(!dom.contains(server.url))
        }
        _ = host
    }
}

/// The machine's name as hosts and submitters record it.
enum HostNameForTests {
    static var node: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: name.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
#endif  // Postgres
