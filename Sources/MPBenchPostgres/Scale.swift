#if Postgres
// pg-scale: tiny tasks through the PostgreSQL queue at 10k, 100k and 1M tasks a job, with the
// server's durability off and on, and the peak memory of the submitter and of the host. (Its own
// client's settings come through the library's testing SPI, as the fault runner's do.)
import Foundation
import Logging
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// The server settings that make a commit durable, and their values for each mode.
private let durabilitySettings = ["fsync", "synchronous_commit", "full_page_writes"]

private let silent = Logger(label: "mp-bench-postgres") { _ in SwiftLogNoOpLogHandler() }

/// Runs `body` with a plain client of the benchmark's database.
private func withClient<Value: Sendable>(_ url: String, _ body: (PostgresClient) async throws -> Value) async throws -> Value {
    var configuration = try PostgresConnectionSettings(url: url).clientConfiguration
    configuration.options.maximumConnections = 2
    let client = PostgresClient(configuration: configuration, backgroundLogger: silent)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}

private func text(_ client: PostgresClient, _ query: PostgresQuery) async throws -> String {
    for try await value in try await client.query(query, logger: silent).decode(String.self) { return value }
    throw Failure(description: "no row from \(query.sql)")
}

/// Sets fsync, synchronous_commit and full_page_writes for the whole server (ALTER SYSTEM, then
/// a reload: the benchmark's user must be a superuser, and the server must not have them on its
/// command line, as the throwaway server has not), or back to the server's own settings (`nil`).
/// Whether a new session sees them set.
@discardableResult
private func setDurability(_ url: String, _ durable: Bool?) async throws -> Bool {
    do {
        try await withClient(url) { client in
            for name in durabilitySettings {
                let statement = durable.map { "ALTER SYSTEM SET \(name) = \($0 ? "on" : "off")" } ?? "ALTER SYSTEM RESET \(name)"
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: silent)
            }
            try await client.query("SELECT pg_reload_conf()", logger: silent)
        }
    } catch {
        printError("pg-scale: cannot change the server's durability: \(String(reflecting: error))")
        return false
    }
    guard let durable else { return true }
    for _ in 0..<100 {
        let seen = try await withClient(url) { client in
            [try await text(client, "SHOW fsync"), try await text(client, "SHOW synchronous_commit")]
        }
        if seen.allSatisfy({ $0 == (durable ? "on" : "off") }) { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    printError("pg-scale: the server does not take fsync = \(durable) (set on its command line?): this mode is skipped")
    return false
}

private func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// The peak resident memory of `pid` since it started or since the last ``resetPeak(_:)``, in MiB.
private func peakMiB(_ pid: pid_t) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
    return kib / 1024
}

/// Starts `pid`'s peak memory again from its resident memory now.
private func resetPeak(_ pid: pid_t) {
    let fd = open("/proc/\(pid)/clear_refs", O_WRONLY)
    guard fd >= 0 else { return }
    _ = write(fd, "5", 1)
    close(fd)
}

/// Live children of `parent` (a host's local workers), whichever of its threads started them.
private func children(of parent: pid_t) -> [pid_t] {
    let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(parent)/task")) ?? []
    return threads.flatMap { thread -> [pid_t] in
        let list = (try? String(contentsOfFile: "/proc/\(parent)/task/\(thread)/children", encoding: .utf8)) ?? ""
        return list.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { pid_t($0) }
    }
}

/// One job of `tasks` tiny tasks, submitted with `map`; every result checked.
private func measureJob(url: String, pool: DistributedProcessPool, host: pid_t, tasks: Int) async throws -> [String: Double] {
    let submitter = getpid()
    let processes = [submitter, host] + children(of: host)
    for pid in processes { resetPeak(pid) }
    let inputs = Array(0..<tasks)
    let start = ContinuousClock.now
    let squares = try await pool.map(Square(), inputs)
    let elapsed = seconds(since: start)
    guard squares.count == tasks else { throw Failure(description: "\(squares.count) results for \(tasks) tasks") }
    for (index, square) in squares.enumerated() where square != index &* index {
        throw Failure(description: "task \(index): \(square), not \(index &* index)")
    }
    let submitted = try await withClient(url) { client in
        try await text(client, """
            SELECT extract(epoch FROM stored_at - created_at)::text FROM mp_jobs
            WHERE queue = \(pool.queue) AND total = \(Int32(tasks)) ORDER BY id DESC LIMIT 1
            """)
    }
    let workers = children(of: host)
    return [
        "tasks_per_s": Double(tasks) / elapsed, "seconds": elapsed, "submit_s": Double(submitted) ?? -1,
        "submitter_peak_mib": peakMiB(submitter), "host_peak_mib": peakMiB(host),
        "worker_peak_mib": workers.map(peakMiB).max() ?? -1,
    ]
}

/// pg-scale: for each durability (off, then on), one host (2 local workers) runs jobs of 10k,
/// 100k and 1M tiny tasks (quick: 10k only); between jobs the finished ones are removed and the
/// table vacuumed, so that each size starts from the same empty queue.
func measureScale(url: String, quick: Bool) async throws -> [String: Double] {
    let sizes = quick ? [10_000] : [10_000, 100_000, 1_000_000]
    do {
        let metrics = try await measureSizes(url: url, sizes: sizes)
        try await setDurability(url, nil)
        return metrics
    } catch {
        _ = try? await setDurability(url, nil)
        throw error
    }
}

private func measureSizes(url: String, sizes: [Int]) async throws -> [String: Double] {
    var metrics: [String: Double] = [:]
    for durable in [false, true] {
        guard try await setDurability(url, durable) else { continue }
        let mode = durable ? "durable" : "nondurable"
        try await withWarmHost(url: url, queue: "bench-scale-\(mode)-\(getpid())") { host, pool in
            for tasks in sizes {
                let label = tasks >= 1_000_000 ? "\(tasks / 1_000_000)m" : "\(tasks / 1_000)k"
                for (key, value) in try await measureJob(url: url, pool: pool, host: host, tasks: tasks) {
                    metrics["\(mode)_\(label)_\(key)"] = value
                }
                try await pool.removeFinishedJobs(olderThan: .zero)
                try await withClient(url) { client in
                    try await client.query("VACUUM mp_tasks", logger: silent)
                    try await client.query("VACUUM mp_jobs", logger: silent)
                }
            }
        }
    }
    return metrics
}
#endif  // Postgres
