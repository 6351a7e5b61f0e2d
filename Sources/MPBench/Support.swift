#if Tools
import CBenchSupport
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

// Helpers the scenarios share: timing, warming a pool up, reading /proc.

/// A job that waits a little and says which worker ran it: used to make sure every worker of
/// a pool is up and has run a task before anything is timed.
struct WhoAmI: Job {
    var sleepMicroseconds: UInt32 = 20_000
    func run(_ input: Int) async throws -> Int32 {
        usleep(sleepMicroseconds)
        return getpid()
    }
}

/// The tiny job of the latency and throughput scenarios (Python's `square`).
struct Square: Job {
    func run(_ x: Int) async throws -> Int { x &* x }
}

/// Runs `WhoAmI` until every worker of `pool` has answered; returns their process ids.
@discardableResult
func warmUp(_ pool: ProcessPool) async throws -> [Int32] {
    var seen = Set<Int32>()
    for _ in 0..<100 {
        let pids = try await pool.map(WhoAmI(), Array(0..<(2 * pool.workerCount)), chunkSize: 1)
        seen.formUnion(pids)
        if seen.count >= pool.workerCount { break }
    }
    guard seen.count >= pool.workerCount else {
        throw BenchError.failed("only \(seen.count) of \(pool.workerCount) workers ran a task while warming up")
    }
    return seen.sorted()
}

enum BenchError: Error, CustomStringConvertible {
    case failed(String)
    case wrongResult(String)

    var description: String {
        switch self {
        case let .failed(why): return why
        case let .wrongResult(why): return "wrong result: \(why)"
        }
    }
}

/// Throws unless `condition`: every scenario checks its results, so a fast wrong answer fails.
func check(_ condition: Bool, _ what: @autoclosure () -> String) throws {
    if !condition { throw BenchError.wrongResult(what()) }
}

/// A monotonic stopwatch.
struct Stopwatch {
    private let start = cbs_monotonic_ns()
    var seconds: Double { Double(cbs_monotonic_ns() - start) / 1e9 }
    var nanoseconds: Int64 { cbs_monotonic_ns() - start }
}

/// The median of `values` (the mean of the middle two when even); nil when empty.
func medianOf(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// The value below which `fraction` of `values` lie (nearest rank).
func percentile(_ values: [Double], _ fraction: Double) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let rank = min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[rank]
}

/// A whole (small) file: /proc files, which report a size of 0, are read until end-of-file.
func readTextFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { break }
        bytes.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes `text` to a file, replacing it.
func writeTextFile(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw BenchError.failed("cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { throw BenchError.failed("cannot write \(path): \(String(cString: strerror(errno)))") }
        bytes = bytes.dropFirst(written)
    }
}

/// A process's memory from /proc/PID/smaps_rollup, in KiB: USS (private clean + private dirty),
/// PSS and RSS.
struct ProcessMemory {
    var ussKiB: Double
    var pssKiB: Double
    var rssKiB: Double

    init?(pid: Int32) {
        guard let text = readTextFile("/proc/\(pid)/smaps_rollup") else { return nil }
        var fields: [Substring: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, parts[0].hasSuffix(":"), let value = Double(parts[1]) else { continue }
            fields[parts[0].dropLast()] = value
        }
        guard let pss = fields["Pss"], let rss = fields["Rss"],
              let clean = fields["Private_Clean"], let dirty = fields["Private_Dirty"] else { return nil }
        ussKiB = clean + dirty
        pssKiB = pss
        rssKiB = rss
    }
}

/// Writes a line to standard error (progress; the tool's stdout is for the table).
func printError(_ text: String) {
    var bytes = Array((text + "\n").utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}

/// Context switches (voluntary and not) of every thread of these processes so far, from
/// /proc/PID/task/TID/status: each is a thread going to sleep or being put off a CPU, the
/// wake-ups a fast path avoids.
func contextSwitches(of pids: [Int32]) -> Int {
    var total = 0
    for status in threadFiles(of: pids, named: "status") {
        for line in status.split(separator: "\n")
        where line.hasPrefix("voluntary_ctxt_switches:") || line.hasPrefix("nonvoluntary_ctxt_switches:") {
            total += Int(line.split(separator: ":").last?.trimmingSpaces() ?? "") ?? 0
        }
    }
    return total
}

/// The text of /proc/PID/task/TID/`file` for every thread of these processes now.
func threadFiles(of pids: [Int32], named file: String) -> [String] {
    var texts: [String] = []
    for pid in pids {
        guard let directory = opendir("/proc/\(pid)/task") else { continue }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if Int(name) != nil, let text = readTextFile("/proc/\(pid)/task/\(name)/\(file)") { texts.append(text) }
        }
    }
    return texts
}

/// CPU time this process (all its threads) has used, in seconds.
func processCPUSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
#endif  // Tools
