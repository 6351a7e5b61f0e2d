#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import Testing

// Per-queue limits on how many tasks of one job run at once (issue 12, point 5): the limit
// holds across hosts, and the workers it leaves free run the queue's other jobs.
extension DistributedPoolTests {
    @Test func aJobsRunningTasksStayWithinTheQueuesLimitAcrossHosts() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("limit")
        let limited = try await DistributedProcessPool(url: server.url, queue: queue,
                                                       options: .init(maxRunningTasksPerJob: 2))
        defer { limited.close() }
        let open = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { open.close() }
        let hosts = try (0..<2).map { _ in try ChildProgram.host(url: server.url, queue: queue, processes: 3) }
        try await waitUntil { try await open.status().hosts.count == 2 }
        let narrow = try await limited.start(PGTimedNap(milliseconds: 300), Array(0..<12))
        let wide = try await open.start(PGTimedNap(milliseconds: 300), Array(0..<12))
        let (narrowSpans, wideSpans) = try await withHangGuard(.seconds(120), "both jobs") {
            (try await narrow.results().map { try $0.get() }, try await wide.results().map { try $0.get() })
        }
        #expect(narrowSpans.count == 12 && wideSpans.count == 12)
        // Never more than two at once, yet two at once (the limit is a limit, not a queue of one).
        #expect(PGSpan.mostAtOnce(narrowSpans) == 2)
        // The other job, with six workers and no limit, ran more than two at once.
        #expect(PGSpan.mostAtOnce(wideSpans) >= 3)
        let stored = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT coalesce(max_running, -1) FROM mp_jobs WHERE id = \(narrow.id)"),
             try await scalar(client, "SELECT coalesce(max_running, -1) FROM mp_jobs WHERE id = \(wide.id)"))
        }
        #expect(stored.0 == 2 && stored.1 == -1)
        _ = hosts
    }
}
#endif  // Postgres
