#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The distributed pool against a real PostgreSQL server, with worker hosts as separate
/// processes (this test executable started in host mode, or MPTestHelper as another build).
/// Serialized: the hosts of one test would otherwise compete for the two CPUs with another's.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DistributedPoolTests {
    @Test func aMapOfTenThousandTasksOnThreeHostsIsCorrectAndRecordedOnce() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("map")
        // A long lease: no host dies here, so every task must run exactly once.
        let hosts = try (0..<3).map { _ in try ChildProgram.host(url: server.url, queue: queue, leaseSeconds: 60) }
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        // All three serving before the map: on a loaded machine the first host up could
        // otherwise run every tiny task before the others have started.
        try await waitUntil { try await pool.status().hosts.count == 3 }

        let squares = try await pool.map(PGSquare(), Array(0..<10_000))
        #expect(squares == (0..<10_000).map { $0 * $0 })

        let status = try await pool.status()
        #expect(status.done == 10_000)
        #expect(status.pending == 0 && status.running == 0 && status.dead == 0)
        #expect(status.duplicates == 0)
        #expect(status.hosts.count == 3)
        // What `mp-postgres status --prometheus` prints for a scraper.
        #expect(status.prometheusText.contains("mp_tasks{queue=\"\(queue)\",state=\"done\"} 10000\n"))
        #expect(status.prometheusText.contains("mp_duplicate_results{queue=\"\(queue)\"} 0\n"))
        // One row per task, each finished on its first attempt, by more than one host.
        let (firstAttempts, hostsUsed) = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE queue = \(queue) AND attempts = 1"),
             try await scalar(client, "SELECT count(DISTINCT host) FROM mp_tasks WHERE queue = \(queue)"))
        }
        #expect(firstAttempts == 10_000)
        #expect(hostsUsed >= 2)
        _ = hosts
    }

    @Test func theSameCodeRunsOnALocalAndADistributedPool() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("same")
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2)
        let distributed = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { distributed.close() }
        let local = try ProcessPool(workers: 2)

        func everything(on pool: some JobPool) async throws -> [[Int]] {
            let mapped = try await pool.map(PGSquare(), Array(0..<50))
            var ordered: [Int] = []
            for try await value in try pool.imap(PGSquare(), Array(0..<20)) { ordered.append(value) }
            var unordered: [Int] = []
            for try await value in try pool.imapUnordered(PGSquare(), Array(0..<20)) { unordered.append(value) }
            let applied = try await pool.apply(PGSquare(), 12)
            let submitted = try await pool.submit(PGSquare(), 7).value
            return [mapped, ordered, unordered.sorted(), [applied, submitted]]
        }
        let expected = [(0..<50).map { $0 * $0 }, (0..<20).map { $0 * $0 }, (0..<20).map { $0 * $0 }, [144, 49]]
        #expect(try await everything(on: local) == expected)
        #expect(try await everything(on: distributed) == expected)
        await local.terminate()
        _ = host
    }

    @Test func tasksOfAHostKilledMidRunRunElsewhereAndEachResultIsRecordedOnce() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("kill")
        // Small claims, so that every host holds tasks whichever starts first.
        let hosts = try (0..<3).map { _ in try ChildProgram.host(url: server.url, queue: queue, leaseSeconds: 2, claimBatch: 16) }
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }

        let job = try await pool.start(PGNap(milliseconds: 20), Array(0..<600))
        // Once the victim is running tasks, kill it and its workers' parent with it.
        let victim = hosts[0]
        // A host holds a task per worker plus a short prefetch, so between two claims it may
        // hold none: freeze it, and kill it only while it holds tasks.
        try await waitUntil {
            kill(victim.pid, SIGSTOP)
            if try await pool.status().runningByHost.contains(where: { $0.key.contains("-\(victim.pid)-") && $0.value > 0 }) {
                return true
            }
            kill(victim.pid, SIGCONT)
            return false
        }
        let victimWorkers = childPIDs(of: victim.pid)
        #expect(!victimWorkers.isEmpty)
        let killedAt = ContinuousClock.now
        victim.stop()

        let results = try await job.results()
        let recovered = ContinuousClock.now - killedAt
        #expect(results.map { try? $0.get() } == (0..<600).map { Optional($0) })
        // The killed host's workers died with it (no orphans).
        try await Task.sleep(for: .seconds(1))
        #expect(victimWorkers.allSatisfy { !isAlive($0) })
        let (done, rerun) = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE queue = \(queue) AND state = 'done'"),
             try await scalar(client, """
                SELECT count(*) FROM mp_tasks WHERE queue = \(queue) AND attempts > 1
                  AND 'lease expired: the host stopped answering' = ANY(causes)
                """))
        }
        #expect(done == 600)
        // Some tasks were claimed by the dead host and ran again after its lease expired.
        #expect(rerun > 0)
        // The lease is 2 s and the remaining work about 4 s on two hosts: well within a minute.
        #expect(recovered < .seconds(60))
        _ = hosts
    }

    @Test func aKilledSubmitterIsReplacedByOneThatAttachesToItsJob() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("attach")
        let helper = ChildProgram.packageExecutable("MPTestHelper")
        // Submitter and hosts are MPTestHelper (one build); this test process only collects.
        let hosts = try (0..<2).map { _ in try ChildProgram.host(helper, url: server.url, queue: queue) }
        let submitter = try ChildProgram(helper, arguments: ["pg-submit", "2000"],
                                         environment: ["MP_TEST_PG_URL": server.url, "MP_TEST_PG_QUEUE": queue])
        let jobLine = await submitter.line(startingWith: "job ")
        let jobID = try #require(jobLine.flatMap { Int64($0.dropFirst(4)) }, "submitter said: \(submitter.log)")
        _ = await submitter.line(startingWith: "collected 5")
        submitter.stop()

        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let job = try await pool.attach(jobID: jobID, outputType: Int.self)
        #expect(job.total == 2000)
        let results = try await job.results()
        #expect(results.map { try? $0.get() } == (0..<2000).map { Optional($0 * $0) })
        await #expect(throws: DistributedPoolError.outputTypeMismatch(expected: "Swift.String", found: "Si")) {
            _ = try await pool.attach(jobID: jobID, outputType: String.self)
        }
        _ = hosts
    }

    @Test func cancellingAJobStopsItsRunningTasksOnTheHosts() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("cancel")
        // Claims of one task, so that each host (one worker, room for four) takes four of the eight.
        let hosts = try (0..<2).map { _ in try ChildProgram.host(url: server.url, queue: queue, claimBatch: 1) }
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }

        let job = try await pool.start(PGNap(milliseconds: 600_000), Array(0..<8))
        try await waitUntil { try await pool.status().runningByHost.count == 2 }
        try await Task.sleep(for: .milliseconds(300))
        // Each host's one worker is busy with a ten-minute task.
        let busyWorkers = hosts.flatMap { childPIDs(of: $0.pid) }
        #expect(busyWorkers.count == 2)
        try await job.cancel()

        var status = try await pool.status()
        #expect(status.cancelled == 8 && status.running == 0 && status.pending == 0)
        // The hosts kill the workers that were running the cancelled tasks.
        try await waitUntil { !busyWorkers.contains(where: isAlive) }
        await #expect(throws: JobFailure.self) { _ = try await job.results() }
        status = try await pool.status()
        #expect(status.done == 0)
        _ = hosts
    }

    @Test func cancellingTheCallingTaskCancelsTheJob() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("taskcancel")
        let host = try ChildProgram.host(url: server.url, queue: queue)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let call = Task { try await pool.map(PGNap(milliseconds: 600_000), Array(0..<3)) }
        try await waitUntil { try await pool.status().running >= 1 }
        call.cancel()
        await #expect(throws: (any Error).self) { _ = try await call.value }
        let status = try await pool.status()
        #expect(status.cancelled == 3 && status.openJobs == 0)
        _ = host
    }

    @Test func aPoisonTaskIsDeadLetteredAfterItsAttemptsWithEveryCause() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("poison")
        let hosts = try (0..<2).map { _ in try ChildProgram.host(url: server.url, queue: queue) }
        let pool = try await DistributedProcessPool(url: server.url, queue: queue,
                                                    options: .init(maxAttempts: 3))
        defer { pool.close() }

        let results = try await pool.start(PGPoison(), Array(0..<40)).results()
        for (index, result) in results.enumerated() where index != 13 {
            #expect(try result.get() == index)
        }
        guard case let .failure(failure) = results[13] else {
            Issue.record("the poison task succeeded")
            return
        }
        #expect(failure.index == 13)
        #expect(failure.attempts.count == 3)
        for reason in failure.attempts {
            guard case let .failedOnHost(_, cause) = reason else {
                Issue.record("unexpected reason \(reason)")
                continue
            }
            #expect(cause.contains("crashed"))
            #expect(cause.contains("poison input 13"))
        }
        #expect(try await pool.status().dead == 1)
        // A map of it throws that failure.
        await #expect(throws: JobFailure.self) { _ = try await pool.map(PGPoison(), [12, 13]) }
        _ = hosts
    }

    @Test func aThrownErrorFailsItsTaskWithTheErrorsTypeAndMessage() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("throws")
        let host = try ChildProgram.host(url: server.url, queue: queue)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let results = try await pool.start(PGThrowsOnOdd(), Array(0..<10)).results()
        for (index, result) in results.enumerated() {
            switch result {
            case let .success(value):
                #expect(index % 2 == 0 && value == index)
            case let .failure(failure):
                #expect(index % 2 == 1)
                #expect(failure.reason == .threw(errorType: String(reflecting: PGRefusal.self), message: "odd input refused"))
            }
        }
        // A thrown error is not retried: one attempt each.
        #expect(try await pool.status().failed == 5)
        _ = host
    }

    @Test func corruptRowsFailTheirOwnTasksWithAClearErrorAndHarmNothingElse() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("corrupt")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        // No host yet: the rows are damaged before anyone claims them.
        let job = try await pool.start(PGSquare(), Array(0..<20))
        let unknown = try await pool.start(PGSquare(), Array(0..<3))
        try await withTestClient(server.url) { client in
            try await client.query("UPDATE mp_tasks SET input = '\\xdeadbeef'::bytea WHERE job_id = \(job.id) AND idx = 7")
            try await client.query("UPDATE mp_jobs SET job_type = 'NotAType' WHERE id = \(unknown.id)")
        }
        let host = try ChildProgram.host(url: server.url, queue: queue)

        let results = try await job.results()
        for (index, result) in results.enumerated() where index != 7 {
            #expect(try result.get() == index * index)
        }
        guard case let .failure(failure) = results[7], case let .failedOnHost(_, cause) = failure.reason else {
            Issue.record("the corrupt input did not fail its task: \(results[7])")
            return
        }
        #expect(cause.contains("the input cannot be decoded as Int"))
        for result in try await unknown.results() {
            guard case let .failure(failure) = result, case let .failedOnHost(_, cause) = failure.reason else {
                Issue.record("a task of an unknown job type did not fail: \(result)")
                continue
            }
            #expect(cause.contains("unknown job type"))
        }
        // The host goes on serving.
        #expect(try await pool.apply(PGSquare(), 9) == 81)
        _ = host
    }

    @Test func payloadsOverTheCapAreRefusedAtSubmission() async throws {
        let server = try await PostgresServer.shared.start()
        let pool = try await DistributedProcessPool(url: server.url, queue: uniqueQueue("cap"),
                                                    options: .init(maxPayloadBytes: 1_000))
        defer { pool.close() }
        do {
            _ = try await pool.start(EchoBytes(), [[UInt8](repeating: 1, count: 5_000)])
            Issue.record("an input over the cap was submitted")
        } catch let DistributedPoolError.payloadTooLarge(bytes, limit) {
            #expect(bytes > 5_000 && limit == 1_000)
        }
        #expect(try await pool.status().pending == 0)
    }

    @Test func finishedJobsAreRemovedAfterTheRetention() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("retention")
        let host = try ChildProgram.host(url: server.url, queue: queue)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        _ = try await pool.map(PGSquare(), Array(0..<10))
        #expect(try await pool.removeFinishedJobs(olderThan: .seconds(3600)) == 0)
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await pool.removeFinishedJobs(olderThan: .seconds(1)) == 1)
        #expect(try await pool.status().done == 0)
        _ = host
    }
}

extension DistributedPoolTests {
    @Test func hostsInTheirOwnNetworkNamespacesRunAMapAndOneKilledCostsNothing() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("netns")
        let namespaces = try (1...3).map { try NetworkNamespace(index: $0) }
        let hosts = try namespaces.map { namespace in
            try namespace.host(url: server.url.replacingOccurrences(of: "@127.0.0.1:", with: "@\(namespace.gateway):"),
                               queue: queue)
        }
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }

        // All three serving before the job: on a loaded machine a host still starting could
        // otherwise first hold tasks at the job's very end, when there are none left to hold.
        try await waitUntil { try await pool.status().hosts.count == 3 }
        let job = try await pool.start(PGNap(milliseconds: 5), Array(0..<3_000))
        // Once the first host runs tasks, kill it (its pid is its host id's middle part).
        let victim = hosts[0]
        try await waitUntil { try await pool.status().runningByHost.keys.contains { $0.contains("-\(victim.pid)-") } }
        // Each host's connections come from its namespace's address, across its veth pair.
        let clients = try await withTestClient(server.url) { client in
            var addresses: Set<String> = []
            for try await address in try await client.query(
                "SELECT DISTINCT host(client_addr) FROM pg_stat_activity WHERE client_addr << '10.231.0.0/16'::inet"
            ).decode(String.self) {
                addresses.insert(address)
            }
            return addresses
        }
        #expect(clients == Set(namespaces.map(\.address)))
        // Killed only while it provably holds tasks: a host holds its few claimed 5 ms tasks for
        // milliseconds, and one killed after writing them back and before its next claim (or
        // after the queue ran dry) would cost no rerun at all.
        let held = try await freezeHoldingTasks(victim, address: namespaces[0].address, queue: queue, url: server.url)
        victim.stop()

        let results = try await job.results()
        #expect(results.map { try? $0.get() } == (0..<3_000).map { Optional($0) })
        // One recorded result per task (a late duplicate would only be counted, not recorded).
        #expect(try await pool.status().done == 3_000)
        let rerun = try await withTestClient(server.url) { client in
            try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE queue = \(queue) AND attempts > 1")
        }
        // Each task it held when killed (at least one) ran again elsewhere.
        #expect(rerun >= held)
        _ = hosts
    }

    @Test func sigtermDrainsAHostWhichFinishesItsTasksAndExits() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("drain")
        // A lease of a minute: the tasks can only finish in time if the host itself finishes them.
        // Four workers: a host holds a task per free worker, so it holds all four.
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 4, leaseSeconds: 60)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let job = try await pool.start(PGNap(milliseconds: 300), Array(0..<4))
        try await waitUntil { try await pool.status().running == 4 }
        kill(host.pid, SIGTERM)
        try await waitUntil(timeout: .seconds(20)) { try await pool.status().done == 4 }
        #expect(try await job.results().map { try? $0.get() } == [0, 1, 2, 3])
        #expect(await host.exitCode(within: .seconds(10)) == 0)
        let status = try await pool.status()
        #expect(status.hosts.isEmpty)
        let reruns = try await withTestClient(server.url) { client in
            try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE queue = \(queue) AND attempts > 1")
        }
        #expect(reruns == 0)
    }

    @Test func connectionsUseTLSAndVerifyTheServersCertificate() async throws {
        let server = try await PostgresServer.shared.start()
        let authority = PostgresServer.directory + "/ca.pem"
        try #require(FileManager.default.fileExists(atPath: authority), "the throwaway server offers no TLS (no openssl)")
        let onLocalhost = server.url.replacingOccurrences(of: "@127.0.0.1:", with: "@localhost:")
        let trusted = onLocalhost.replacingOccurrences(of: "sslmode=disable", with: "sslmode=require&sslrootcert=\(authority)")
        let queue = uniqueQueue("tls")
        let host = try ChildProgram.host(url: trusted, queue: queue)
        let pool = try await DistributedProcessPool(url: trusted, queue: queue)
        defer { pool.close() }
        #expect(try await pool.apply(PGSquare(), 5) == 25)
        // The server sees the submitter's and the host's connections encrypted.
        let encrypted = try await withTestClient(server.url) { client in
            try await scalar(client, "SELECT count(*) FROM pg_stat_ssl WHERE ssl")
        }
        #expect(encrypted >= 2)
        // Without its CA, the server's certificate is not trusted, and `require` does not connect.
        let untrusted = onLocalhost.replacingOccurrences(of: "sslmode=disable", with: "sslmode=require")
        let password = try #require(try PostgresConnectionSettings(url: untrusted).password)
        do {
            _ = try await DistributedProcessPool(url: untrusted, queue: queue, options: .init(connectTimeout: .seconds(3)))
            Issue.record("connected to a server whose certificate is not trusted")
        } catch let DistributedPoolError.cannotConnect(why) {
            #expect(why.contains("sslrootcert"))
            #expect(!why.contains(password))
        }
        _ = host
    }
}

struct EchoBytes: Job {
    func run(_ bytes: [UInt8]) async throws -> [UInt8] { bytes }
}

@Suite struct ConnectionSettingsTests {
    @Test func aURLIsReadAndItsPasswordNeverShown() throws {
        let settings = try PostgresConnectionSettings(url: "postgres://app:s3cr%40t@db.example:6543/jobs?sslmode=require")
        #expect(settings.username == "app")
        #expect(settings.password == "s3cr@t")
        #expect(settings.host == "db.example" && settings.port == 6543 && settings.database == "jobs")
        #expect(settings.tls == .require)
        #expect(!settings.description.contains("s3cr"))
        let socket = try PostgresConnectionSettings(url: "postgresql://app@/jobs?host=/run/postgresql")
        #expect(socket.socketDirectory == "/run/postgresql" && socket.tls == .prefer)
    }

    @Test func aBadURLIsAClearErrorThatDoesNotRepeatIt() {
        #expect(throws: DistributedPoolError.self) { try PostgresConnectionSettings(url: "mysql://root:pw@x/db") }
        #expect(throws: DistributedPoolError.invalidConfiguration("sslmode must be disable, prefer or require, not maybe")) {
            try PostgresConnectionSettings(url: "postgres://a@b/c?sslmode=maybe")
        }
        do {
            _ = try PostgresConnectionSettings(url: "http://u:topsecret@x")
        } catch {
            #expect(!"\(error)".contains("topsecret"))
        }
    }
}
#endif  // Postgres
