#if Tools
import Multiprocessing

/// `imapUnordered` with chunk size 1: one task per item, the cost of a task's trip.
enum StreamUnordered: Scenario {
    static let name = "stream-unordered"
    static let summary = "for try await in pool.imapUnordered(Square(), 0..<20,000, chunkSize: 1), all CPUs; items/s. "
        + "Python: imap_unordered(square, range(20000), chunksize=1)."

    static var countKeys: [String] { ["items", "workers"] }

    static var extraPeers: [PeerSpec] { [.python313, .futures, .loky, .joblib, .mpire, .ray, .dask] }

    static var rows: [RowSpec] {
        [RowSpec(name: name, unit: "items/s", higherIsBetter: true, ours: "items_per_s", peer: "items_per_s",
                cpu: CPUSpec(work: "items", unit: "items/CPU-s")) {
            .ratio(atLeast: 25, $0, text: ">= 25x Python")
        }]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let count = quick ? 2_000 : 20_000
        return try await withProcessPool { pool in
            let meter = CPUMeter(workers: try await warmUp(pool))
            let cpuBefore = processCPUSeconds()
            let watch = Stopwatch()
            var squares: [Int] = []
            squares.reserveCapacity(count)
            for try await square in try pool.imapUnordered(Square(), 0..<count, chunkSize: 1) {
                squares.append(square)
            }
            let seconds = watch.seconds
            let parentCPU = processCPUSeconds() - cpuBefore
            let cpu = try meter.metrics()
            // Every input's square exactly once, in any order: a result lost, repeated or not
            // computed fails (a sum could hide a repeat beside a loss).
            try check(squares.count == count, "\(squares.count) results for \(count) inputs")
            for (index, square) in squares.sorted().enumerated() where square != index &* index {
                throw BenchError.wrongResult("the \(index)th smallest result is \(square), not \(index * index)")
            }
            return ["items_per_s": Double(count) / seconds, "seconds": seconds, "items": Double(count),
                    "workers": Double(pool.workerCount), "parent_cpu_s": parentCPU].merging(cpu)
        }
    }
}
#endif  // Tools
