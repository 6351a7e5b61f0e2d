#if Tools
import Multiprocessing

/// `map` of a tiny job over a million Ints: the cost per item when items are tiny.
enum MapTiny: Scenario {
    static let name = "map-tiny"
    static let summary = "pool.map(Square(), 1,000,000 Ints), default chunking, all CPUs; items/s. "
        + "Python: Pool.map(square, list) with the same pool size."

    static var countKeys: [String] { ["items", "workers"] }

    static var extraPeers: [PeerSpec] { [.python313, .futures, .loky, .joblib, .mpire, .ray, .dask] }

    static var rows: [RowSpec] {
        [RowSpec(name: name, unit: "items/s", higherIsBetter: true, ours: "items_per_s", peer: "items_per_s",
                cpu: CPUSpec(work: "items", unit: "items/CPU-s")) {
            .ratio(atLeast: 20, $0, text: ">= 20x Python")
        },
         RowSpec.libraryFree(name: "map-tiny-serial", unit: "items/s", higherIsBetter: true, ours: "serial_items_per_s",
                 peer: "serial_items_per_s",
                 note: "a plain serial loop over the same inputs in the measuring process, before the pool: "
                     + "what a pool must beat (ours: Square().run in a for loop; Python: a list comprehension).") { _ in
             .none("reported (no goal)")
         }]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let count = quick ? 100_000 : 1_000_000
        let inputs = Array(0..<count)
        // A plain serial loop first: what the pool must beat.
        let serialWatch = Stopwatch()
        var serial: [Int] = []
        serial.reserveCapacity(count)
        for input in inputs { serial.append(try await Square().run(input)) }
        let serialSeconds = serialWatch.seconds
        for index in 0..<count where serial[index] != index &* index {
            throw BenchError.wrongResult("serial square of \(index) is \(serial[index])")
        }
        return try await withProcessPool { pool in
            let meter = CPUMeter(workers: try await warmUp(pool))
            let cpuBefore = processCPUSeconds()
            let watch = Stopwatch()
            let squares = try await pool.map(Square(), inputs)
            let seconds = watch.seconds
            let parentCPU = processCPUSeconds() - cpuBefore
            let cpu = try meter.metrics()
            try check(squares.count == count, "\(squares.count) results for \(count) inputs")
            // Every result, in order (after the clock stops): a result lost, repeated, misplaced or
            // not computed fails.
            for index in 0..<count where squares[index] != index &* index {
                throw BenchError.wrongResult("square of \(index) is \(squares[index])")
            }
            return ["items_per_s": Double(count) / seconds, "seconds": seconds, "items": Double(count),
                    "workers": Double(pool.workerCount), "parent_cpu_s": parentCPU,
                    "serial_items_per_s": Double(count) / serialSeconds].merging(cpu)
        }
    }
}
#endif  // Tools
