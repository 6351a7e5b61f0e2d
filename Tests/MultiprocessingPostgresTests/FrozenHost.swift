#if Postgres
import Foundation
import MultiprocessingPostgresChaos
import PostgresNIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Freezes `host` (SIGSTOP) at a moment it holds tasks of `queue`, and returns how many: it is
/// stopped, none of its connections (those from `address`) is still executing a statement, so
/// nothing it sent can still commit, and rows are still `running` under its id (its pid is its
/// id's middle part). Those stay so until their lease passes to another host: killed now, the
/// host costs each of them a rerun. Frozen holding none (between two tasks), it is resumed and
/// frozen again.
func freezeHoldingTasks(_ host: SpawnedProgram, address: String, queue: String, url: String,
                        timeout: Duration = .seconds(60)) async throws -> Int {
    let deadline = ContinuousClock.now + timeout
    return try await withTestClient(url) { client in
        while true {
            host.signal(SIGSTOP)
            try await waitUntil(timeout: .seconds(10)) { isStopped(host.pid) }
            try await waitUntil(timeout: .seconds(10)) {
                try await scalar(client, """
                    SELECT count(*) FROM pg_stat_activity WHERE client_addr = \(address)::inet AND state = 'active'
                    """) == 0
            }
            let held = try await scalar(client, """
                SELECT count(*) FROM mp_tasks WHERE queue = \(queue) AND state = 'running' AND host LIKE \("%-\(host.pid)-%")
                """)
            if held > 0 { return held }
            guard ContinuousClock.now < deadline else {
                throw TimedOut(description: "host \(host.pid) held no task whenever it was frozen, for \(timeout)")
            }
            host.signal(SIGCONT)
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
#endif  // Postgres
