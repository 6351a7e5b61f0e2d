import Foundation
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Whether `pid` is a live child of this process (not reaped, not a zombie).
func isLiveChild(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 2 else { return false }
    return fields[0] != "Z" && Int32(fields[1]) == getpid()
}

/// Whether `pid` exists at all in /proc as a child of ours (zombies included).
func isChildEntry(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 2 && Int32(fields[1]) == getpid()
}

/// Waits up to `timeout` for `condition`.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// The pool's worker pids, once all `count` have started.
func startedWorkers(_ pool: ProcessPool, count: Int) async -> [Int32] {
    // A tiny job per worker makes sure each has started and said hello.
    _ = try? await pool.map(Square(), Array(0..<(count * 4)), chunkSize: 1)
    return await pool.workerPIDs()
}
