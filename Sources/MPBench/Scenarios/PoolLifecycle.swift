#if Tools
import Multiprocessing

/// A pool's whole life as one figure: start, one map, shut down.
enum PoolLifecycle: Scenario {
    static let name = "pool-lifecycle"
    static let summary = "In a fresh process: withProcessPool (all CPUs) { map(Square(), 100,000 Ints) }, from before "
        + "the pool to after its shutdown; ms. Python: with Pool(n) as pool: pool.map(square, ...); pool.close(); "
        + "pool.join(), with fork and with spawn."

    static var peerStartMethods: [String] { ["fork", "spawn"] }
    static var countKeys: [String] { ["items", "workers"] }

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "ms", higherIsBetter: false, ours: "ms", peer: "fork_ms",
                    note: "start + map of 100,000 tiny items + shutdown; Python column: fork.", peerStartMethod: "fork") { _ in
                .none("reported (no goal)")
            },
            RowSpec(name: "pool-lifecycle-spawn", unit: "ms", higherIsBetter: false, ours: "ms", peer: "spawn_ms",
                    note: "the same runs; Python column: spawn.", peerStartMethod: "spawn") { _ in
                .none("reported (no goal)")
            },
        ]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let count = 100_000
        let inputs = Array(0..<count)
        var workers = 0
        let watch = Stopwatch()
        let squares = try await withProcessPool { pool in
            workers = pool.workerCount
            return try await pool.map(Square(), inputs)
        }
        let milliseconds = watch.seconds * 1e3
        try check(squares.count == count, "\(squares.count) results for \(count) inputs")
        for index in 0..<count where squares[index] != index &* index {
            throw BenchError.wrongResult("square of \(index) is \(squares[index])")
        }
        return ["ms": milliseconds, "items": Double(count), "workers": Double(workers)]
    }
}
#endif  // Tools
