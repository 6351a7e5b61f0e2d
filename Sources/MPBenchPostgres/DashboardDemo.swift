#if Postgres
import Foundation
import Multiprocessing
import MultiprocessingPostgres
#if canImport(Glibc)
import Glibc
#endif

/// Traps: a dead letter for the dashboard to show, with its cause and stderr.
struct DemoCrash: Job {
    static var retries: Int? { 1 }
    func run(_ x: Int) async throws -> Int { fatalError("demo: input \(x) traps its worker") }
}

/// `mp-bench-postgres demo [--tasks N] [--nap-ms M] [--hosts H] [--queue Q]`: something for
/// `mp-postgres dashboard` to show (its screenshot, and its load with many browsers watching):
/// H worker hosts of one worker each, a job whose one task dies twice, then a job of N naps of
/// M ms, collected to its end. Prints a line as each stage starts.
func runDashboardDemo(url: String, arguments: [String]) async throws {
    func option(_ name: String, _ fallback: Int) -> Int {
        arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil } ?? fallback
    }
    let queue = arguments.firstIndex(of: "--queue").flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
        ?? "demo"
    let (tasks, nap, hostCount) = (option("--tasks", 600), option("--nap-ms", 50), option("--hosts", 2))
    let hosts = try (0..<hostCount).map { _ in try startHost(url: url, queue: queue, processes: 1, leaseSeconds: 30) }
    defer { hosts.forEach(stop) }
    let pool = try await DistributedProcessPool(url: url, queue: queue)
    defer { pool.close() }
    say("demo: \(hostCount) hosts on queue \(queue)")
    _ = try await pool.start(DemoCrash(), [7]).results()
    let job = try await pool.start(Nap(), Array(repeating: nap, count: tasks))
    say("demo: job \(job.id) of \(tasks) tasks of \(nap) ms submitted")
    _ = try await job.results()
    say("demo: job \(job.id) done")
}

/// A line at once (stdout to a file or pipe is buffered: a script waits for these).
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
#endif  // Postgres
