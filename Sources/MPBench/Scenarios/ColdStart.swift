#if Tools
import Multiprocessing

/// From nothing to a first result: create a 2-worker pool and apply one tiny job.
enum ColdStart: Scenario {
    static let name = "cold-start"
    static let summary = "In a fresh process: ProcessPool(workers: 2), then one apply(Square(), 7); ms until the "
        + "result. Python: Pool(2) and apply, with the fork, forkserver and spawn start methods."

    static var peerStartMethods: [String] { ["fork", "forkserver", "spawn"] }

    static var countKeys: [String] { ["workers"] }

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "ms", higherIsBetter: false, ours: "ms", peer: "fork_ms",
                    note: "Python column: the fork start method.", peerStartMethod: "fork") {
                .ratio(atLeast: 4, $0, text: "<= 1/4 of Python fork")
            },
            RowSpec(name: "cold-start-forkserver", unit: "ms", higherIsBetter: false, ours: "ms", peer: "forkserver_ms",
                    note: "the same runs as cold-start; Python column: the forkserver start method (its server "
                        + "started by the pool, as a first pool does).",
                    peerStartMethod: "forkserver") { _ in
                .none("reported (no goal)")
            },
            RowSpec(name: "cold-start-spawn", unit: "ms", higherIsBetter: false, ours: "ms", peer: "spawn_ms",
                    note: "the same runs as cold-start; Python column: the spawn start method.",
                    peerStartMethod: "spawn") { _ in
                .none("reported (no goal)")
            },
        ]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let watch = Stopwatch()
        let pool = try ProcessPool(workers: 2)
        let square = try await pool.apply(Square(), 7)
        let milliseconds = watch.seconds * 1e3
        try check(square == 49, "square of 7 is \(square)")
        try pool.close()
        let shutdown = Stopwatch()
        try await pool.join()
        return ["ms": milliseconds, "shutdown_ms": shutdown.seconds * 1e3, "workers": Double(pool.workerCount)]
    }
}
#endif  // Tools
