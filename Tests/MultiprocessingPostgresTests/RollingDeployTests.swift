#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Testing

extension DistributedPoolTests {
    @Test func aHostOfAnotherBuildLeavesTheTasksToAHostOfTheJobsBuild() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("deploy")
        // MPTestHelper is another executable, so another build than this test process (the job's).
        let old = try ChildProgram.host(ChildProgram.packageExecutable("MPTestHelper"), url: server.url, queue: queue)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        try await waitUntil { try await pool.status().hosts.count == 1 }

        let job = try await pool.start(PGSquare(), Array(0..<20))
        // The old host polls every second: give it several chances to claim.
        try await Task.sleep(for: .seconds(3))
        var status = try await pool.status()
        #expect(status.pending == 20 && status.running == 0 && status.failed == 0 && status.dead == 0)
        #expect(status.waitingForBuild.count == 1)
        #expect(status.waitingForBuild.first?.jobs == 1 && status.waitingForBuild.first?.tasks == 20)
        #expect(status.description.contains("waiting for build"))
        #expect(status.prometheusText.contains("mp_jobs_waiting_for_build{queue=\"\(queue)\",build=\""))
        let attempted = try await withTestClient(server.url) { client in
            try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE job_id = \(job.id) AND attempts > 0")
        }
        #expect(attempted == 0)

        // A host of the job's build arrives and runs every task, each on its first attempt.
        let new = try ChildProgram.host(url: server.url, queue: queue)
        let results = try await job.results()
        #expect(results.map { try? $0.get() } == (0..<20).map { Optional($0 * $0) })
        let (firstAttempts, byNew) = try await withTestClient(server.url) { client in
            (try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE job_id = \(job.id) AND attempts = 1"),
             try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE job_id = \(job.id) AND host LIKE \("%-\(new.pid)-%")"))
        }
        #expect(firstAttempts == 20 && byNew == 20)
        status = try await pool.status()
        #expect(status.waitingForBuild.isEmpty)
        #expect(!status.prometheusText.contains("mp_jobs_waiting_for_build{"))
        _ = old
    }
}
#endif  // Postgres
