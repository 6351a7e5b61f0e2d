#if Tools
import Multiprocessing

/// More workers than CPUs (4 and 8 on this 2-vCPU machine): what users get when they size a
/// pool for a bigger machine, or for work that waits.
enum OversizedPools: Scenario {
    static let name = "oversized-pools"
    static let summary = "map(Square(), 1,000,000 Ints) and imapUnordered(Square(), 0..<20,000, chunkSize: 1) on "
        + "pools of 4 and of 8 workers, whatever the CPUs; items/s. Python: Pool(4) and Pool(8), the same calls."

    static var countKeys: [String] { ["map_items", "stream_items", "small_workers", "large_workers"] }

    static let sizes = [4, 8]

    static var rows: [RowSpec] {
        sizes.flatMap { workers in
            [RowSpec(name: "map-\(workers)-workers", unit: "items/s", higherIsBetter: true,
                     ours: "map_\(workers)_per_s", peer: "map_\(workers)_per_s",
                     note: workers == sizes.first ? "pools of 4 and 8 workers on this machine's CPUs." : nil,
                     cpu: CPUSpec(work: "map_items", cpu: "map_\(workers)_cpu_s", unit: "items/CPU-s")) { _ in
                 .none("reported (no goal)")
             },
             RowSpec(name: "stream-\(workers)-workers", unit: "items/s", higherIsBetter: true,
                     ours: "stream_\(workers)_per_s", peer: "stream_\(workers)_per_s",
                     cpu: CPUSpec(work: "stream_items", cpu: "stream_\(workers)_cpu_s", unit: "items/CPU-s")) { _ in
                 .none("reported (no goal)")
             }]
        }
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let mapCount = quick ? 100_000 : 1_000_000
        let streamCount = quick ? 2_000 : 20_000
        let inputs = Array(0..<mapCount)
        var metrics: Metrics = ["map_items": Double(mapCount), "stream_items": Double(streamCount),
                                "small_workers": Double(sizes[0]), "large_workers": Double(sizes[1])]
        for workers in sizes {
            try await withProcessPool(workers: workers) { pool in
                let meter = CPUMeter(workers: try await warmUp(pool))
                var watch = Stopwatch()
                let squares = try await pool.map(Square(), inputs)
                metrics["map_\(workers)_per_s"] = Double(mapCount) / watch.seconds
                metrics["map_\(workers)_cpu_s"] = try meter.metrics()["cpu_s"]
                for index in 0..<mapCount where squares[index] != index &* index {
                    throw BenchError.wrongResult("\(workers) workers: square of \(index) is \(squares[index])")
                }
                let streamMeter = CPUMeter(workers: await pool.workerPIDs())
                watch = Stopwatch()
                var streamed: [Int] = []
                streamed.reserveCapacity(streamCount)
                for try await square in try pool.imapUnordered(Square(), 0..<streamCount, chunkSize: 1) {
                    streamed.append(square)
                }
                metrics["stream_\(workers)_per_s"] = Double(streamCount) / watch.seconds
                metrics["stream_\(workers)_cpu_s"] = try streamMeter.metrics()["cpu_s"]
                // Every input's square exactly once, in any order.
                try check(streamed.count == streamCount, "\(workers) workers: \(streamed.count) of \(streamCount) results")
                for (index, square) in streamed.sorted().enumerated() where square != index &* index {
                    throw BenchError.wrongResult("\(workers) workers: the \(index)th smallest result is \(square)")
                }
            }
        }
        return metrics
    }
}
#endif  // Tools
