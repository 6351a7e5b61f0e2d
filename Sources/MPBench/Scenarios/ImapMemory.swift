#if Tools
import Multiprocessing

/// The parent's memory while a long `imap` streams: bounded in-flight work keeps it flat.
enum ImapMemory: Scenario {
    static let name = "imap-memory"
    static let summary = "for try await in pool.imap(Square(), 0..<10,000,000, chunkSize: 1,000), all CPUs, every "
        + "result checked in order as it comes: the parent's peak RSS (VmHWM, /proc/self/status) at the end; MiB. "
        + "Python: imap(square, range(10,000,000), chunksize=1000), the same."

    static var countKeys: [String] { ["items", "chunk_size", "workers"] }

    static var rows: [RowSpec] {
        [RowSpec(name: name, unit: "MiB peak", higherIsBetter: false, ours: "peak_mib", peer: "peak_mib",
                 note: "the parent's peak RSS over its whole life (VmHWM), the imap's growth over the RSS before it is "
                     + "growth_mib in the JSON; items/s is imap_items_per_s.") { _ in
            .none("reported (no goal)")
        }]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let count = quick ? 200_000 : 10_000_000
        let chunkSize = 1_000
        return try await withProcessPool { pool in
            try await warmUp(pool)
            let before = try statusKiB("VmRSS")
            let watch = Stopwatch()
            var index = 0
            for try await square in try pool.imap(Square(), 0..<count, chunkSize: chunkSize) {
                // In order, each the square of its input: a result lost, repeated or not computed fails.
                guard square == index &* index else {
                    throw BenchError.wrongResult("result \(index) is \(square), not \(index * index)")
                }
                index += 1
            }
            let seconds = watch.seconds
            let peak = try statusKiB("VmHWM")
            try check(index == count, "\(index) results for \(count) inputs")
            return ["peak_mib": peak / 1024, "growth_mib": (peak - before) / 1024, "rss_before_mib": before / 1024,
                    "imap_items_per_s": Double(count) / seconds, "items": Double(count),
                    "chunk_size": Double(chunkSize), "workers": Double(pool.workerCount)]
        }
    }
}

/// A "Vm...:  N kB" line of /proc/self/status, in KiB.
func statusKiB(_ field: String) throws -> Double {
    guard let status = readTextFile("/proc/self/status") else { throw BenchError.failed("cannot read /proc/self/status") }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        if parts.count >= 2, let value = Double(parts[1]) { return value }
    }
    throw BenchError.failed("no \(field) in /proc/self/status")
}
#endif  // Tools
