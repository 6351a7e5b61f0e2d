#if Tools
import Multiprocessing

/// Tasks of real length, and uneven: 1 to 10 ms of computation each.
enum UnevenTasks: Scenario {
    static let name = "uneven-tasks"
    static let summary = "pool.map over 100,000 tasks of 1-10 ms each (task i: 1 + (i * 2654435761) % 10 ms of a "
        + "xorshift chain, its length calibrated on this side's speed before the pool starts), default chunking, all "
        + "CPUs; tasks/s. Python: Pool.map, the same durations."

    static var countKeys: [String] { ["tasks", "total_ms", "workers"] }
    static var timeLimitSeconds: Double { 1_200 }

    static var rows: [RowSpec] {
        [RowSpec(name: name, unit: "tasks/s", higherIsBetter: true, ours: "tasks_per_s", peer: "tasks_per_s",
                 note: "each side's chain is calibrated to its own speed, so both spend the same milliseconds per task: "
                     + "the ratio is the pools' scheduling of uneven work (the ideal is workers * 1000 / 5.5 ms).",
                 cpu: CPUSpec(work: "tasks", unit: "tasks/CPU-s")) { _ in
            .none("reported (no goal)")
        }]
    }

    static func tasks(quick: Bool) -> Int { quick ? 400 : 100_000 }

    /// Task `index`'s length in ms, 1 to 10 (the peer's formula is the same).
    static func milliseconds(_ index: Int) -> Int { 1 + (index &* 2_654_435_761) % 10 }

    static func measure(quick: Bool) async throws -> Metrics {
        let count = tasks(quick: quick)
        let perMs = calibrateChainSteps()
        let inputs = (0..<count).map { ChainTask(seed: UInt64($0), steps: milliseconds($0) * perMs) }
        let totalMs = (0..<count).reduce(0) { $0 + milliseconds($1) }
        return try await withProcessPool { pool in
            let meter = CPUMeter(workers: try await warmUp(pool))
            let watch = Stopwatch()
            let results = try await pool.map(RunChain(), inputs)
            let seconds = watch.seconds
            let cpu = try meter.metrics()
            // Every result came back; every 97th is computed again here (1% of the work, after the
            // clock): a worker that skipped or shortened the chain fails.
            try check(results.count == count, "\(results.count) results for \(count) tasks")
            for index in stride(from: 0, to: count, by: 97) where results[index] != runChain(inputs[index]) {
                throw BenchError.wrongResult("task \(index)'s chain ended at \(results[index])")
            }
            return ["tasks_per_s": Double(count) / seconds, "seconds": seconds, "tasks": Double(count),
                    "total_ms": Double(totalMs), "workers": Double(pool.workerCount),
                    "steps_per_ms": Double(perMs)].merging(cpu)
        }
    }
}

/// One task: `steps` steps of the chain from `seed`.
struct ChainTask: Codable, Sendable {
    var seed: UInt64
    var steps: Int
}

struct RunChain: Job {
    func run(_ task: ChainTask) async throws -> UInt64 { runChain(task) }
}

/// xorshift64 from the seed (made non-zero), `steps` times: each step needs the one before.
@inline(never)
func runChain(_ task: ChainTask) -> UInt64 {
    var state = task.seed &* 0x9E37_79B9_7F4A_7C15 | 1
    for _ in 0..<task.steps {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
    }
    return state
}

/// How many chain steps take a millisecond here: the best of five 20 ms samples.
func calibrateChainSteps() -> Int {
    var best = 0.0
    for round in 0..<5 {
        var steps = 1_000
        while true {
            let watch = Stopwatch()
            let end = runChain(ChainTask(seed: UInt64(round), steps: steps))
            let seconds = watch.seconds
            if end == 0 { return 1 }  // never: keeps the chain from being optimized away
            if seconds >= 0.02 {
                best = max(best, Double(steps) / (seconds * 1e3))
                break
            }
            steps *= 2
        }
    }
    return max(1, Int(best))
}
#endif  // Tools
