#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import Testing

extension DistributedPoolTests {
    /// Server restarts at random points of a map cost latency only: the submitter, the collector
    /// and the hosts reconnect, and every result arrives, right, recorded once.
    @Test func aMapInFlightOutlivesServerRestartsAtRandomPoints() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("outage")
        let hosts = try (0..<2).map { _ in try ChildProgram.host(url: server.url, queue: queue, leaseSeconds: 5, claimBatch: 64) }
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let count = 6_000
        let map = Task { try await pool.map(PGNap(milliseconds: 4), Array(0..<count)) }
        try await waitUntil { try await pool.status().running > 0 }
        for _ in 0..<5 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...1_200)))
            try await PostgresServer.restart(down: .milliseconds(Int.random(in: 300...2_500)))
        }
        let results: [Int]
        do {
            results = try await withHangGuard(.seconds(120), "the map") { try await map.value }
        } catch {
            let status = try? await withHangGuard(.seconds(20), "the status") { try await pool.status() }
            let queueText = status?.description ?? "unreadable"
            let logs = hosts.map { String($0.log.suffix(3_000)) }.joined(separator: "\n---\n")
            Issue.record("the map did not end: \(error); queue: \(queueText); host logs:\n\(logs)")
            throw error
        }
        #expect(results == Array(0..<count))
        let status = try await pool.status()
        #expect(status.done == count && status.pending == 0 && status.running == 0 && status.dead == 0)
        _ = hosts
    }

    @Test func pastTheOutageToleranceACallFailsNamingTheCauseWithoutSecrets() async throws {
        let server = try await PostgresServer.shared.start()
        let password = try #require(try PostgresConnectionSettings(url: server.url).password)
        let pool = try await DistributedProcessPool(url: server.url, queue: uniqueQueue("down"),
                                                    options: .init(outageTolerance: .seconds(2)))
        defer { pool.close() }
        #expect(try await pool.status().pending == 0)
        try PostgresServer.stop()
        let outcome: Result<QueueStatus, any Error>
        do {
            outcome = .success(try await pool.status())
        } catch {
            outcome = .failure(error)
        }
        try PostgresServer.startAgain()
        switch outcome {
        case .success:
            Issue.record("the status was read with the server down")
        case let .failure(DistributedPoolError.databaseUnavailable(why)):
            #expect(why.contains("127.0.0.1"))
            #expect(why.contains("reading the status"))
            #expect(!why.contains(password))
        case let .failure(error):
            Issue.record("not databaseUnavailable: \(String(reflecting: error))")
        }
        // Back within the tolerance, the same pool works again.
        #expect(try await pool.status().pending == 0)
    }
}
#endif  // Postgres
