#if Tools
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// The primes in `[lower, upper)`, by trial division by 2 and the odd numbers up to the
/// square root: the same algorithm as the Python peer's, deliberately naive.
func countPrimes(_ lower: Int, _ upper: Int) -> Int {
    var count = 0
    var number = max(lower, 2)
    while number < upper {
        defer { number += 1 }
        if number < 4 { count += 1; continue }
        if number % 2 == 0 { continue }
        var divisor = 3
        var prime = true
        while divisor * divisor <= number {
            if number % divisor == 0 { prime = false; break }
            divisor += 2
        }
        if prime { count += 1 }
    }
    return count
}

/// A range of numbers to count the primes of.
struct PrimeRange: Codable, Sendable {
    var lower: Int
    var upper: Int
}

/// The count, and which worker counted (to see how the ranges were spread).
struct PrimeCount: Codable, Sendable {
    var primes: Int
    var worker: Int32
}

struct CountPrimes: Job {
    func run(_ range: PrimeRange) async throws -> PrimeCount {
        PrimeCount(primes: countPrimes(range.lower, range.upper), worker: getpid())
    }
}

/// CPU-bound work on one worker, on all of them, and in-process on a TaskGroup.
enum CPUScaling: Scenario {
    static let name = "cpu-scaling"
    static let summary = "Count the primes in 16 ranges of 200,000 numbers (0..<3.2M, trial division), map with "
        + "chunkSize 1 on a 1-worker pool, on an all-CPU pool, and in this process on a TaskGroup (warm pools; "
        + "wall time of the map). Python: the same algorithm, Pool(1) and Pool(n)."
    static let timeLimitSeconds = 900.0

    static var countKeys: [String] { ["ranges", "primes", "workers"] }

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "speedup x", higherIsBetter: true, ours: "speedup", peer: "speedup",
                    note: "speedup = time on 1 worker / time on all workers; its goal is on ours alone.") { context in
                let workers = context.ours["workers"] ?? 2
                let target = 0.95 * workers
                return GoalEvaluation(text: "ours >= \(Format.value(target)) (0.95 x \(Int(workers)) CPUs)",
                                      quantity: "speedup", value: context.ours["speedup"], target: target)
            },
            RowSpec(name: "cpu-scaling-vs-taskgroup", unit: "pool/TaskGroup", higherIsBetter: false,
                    ours: "pool_over_taskgroup", peer: nil,
                    note: "the all-CPU pool's time over the same work on a TaskGroup in one process; ours only.") { context in
                GoalEvaluation(text: "<= 1.05 (pool within 5%)", quantity: "TaskGroup / pool",
                               value: context.ours["pool_over_taskgroup"].map { 1 / $0 }, target: 1 / 1.05)
            },
            RowSpec(name: "cpu-scaling-wall", unit: "s, all CPUs", higherIsBetter: false, ours: "all_workers_s",
                    peer: "all_workers_s",
                    note: "the same work's wall time: compiled Swift against interpreted Python, not the pools.") { _ in
                .none("reported (no goal)")
            },
        ]
    }

    /// The primes below 3,200,000 (and below 160,000 for --quick), by a sieve: the total both
    /// sides must count, so a range skipped or miscounted fails even if every way agrees.
    static func expectedPrimes(quick: Bool) -> Int { quick ? 14_683 : 230_209 }

    static func ranges(quick: Bool) -> [PrimeRange] {
        let (count, width) = quick ? (8, 20_000) : (16, 200_000)
        return (0..<count).map { PrimeRange(lower: $0 * width, upper: ($0 + 1) * width) }
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let ranges = ranges(quick: quick)

        let taskGroupWatch = Stopwatch()
        let taskGroupCounts = await withTaskGroup(of: (Int, Int).self) { group in
            for (index, range) in ranges.enumerated() { group.addTask { (index, countPrimes(range.lower, range.upper)) } }
            var counts = [Int](repeating: -1, count: ranges.count)
            for await (index, count) in group { counts[index] = count }
            return counts
        }
        let taskGroupSeconds = taskGroupWatch.seconds
        let taskGroupTotal = taskGroupCounts.reduce(0, +)

        func onPool(workers: Int?) async throws
            -> (seconds: Double, counts: [Int], workers: Int, busiest: Int, parentCPU: Double) {
            try await withProcessPool(workers: workers) { pool in
                try await warmUp(pool)
                let cpuBefore = processCPUSeconds()
                let watch = Stopwatch()
                let counts = try await pool.map(CountPrimes(), ranges, chunkSize: 1)
                let seconds = watch.seconds
                let parentCPU = processCPUSeconds() - cpuBefore
                let perWorker = Dictionary(grouping: counts, by: \.worker).values.map(\.count)
                return (seconds, counts.map(\.primes), pool.workerCount, perWorker.max() ?? 0, parentCPU)
            }
        }
        let all = try await onPool(workers: nil)
        let one = try await onPool(workers: 1)
        // Range by range, the three ways agree, and the total is the sieve's.
        try check(all.counts == taskGroupCounts && one.counts == taskGroupCounts,
                  "prime counts differ: TaskGroup \(taskGroupCounts), all workers \(all.counts), one worker \(one.counts)")
        try check(taskGroupTotal == expectedPrimes(quick: quick),
                  "\(taskGroupTotal) primes counted, not \(expectedPrimes(quick: quick))")
        return ["one_worker_s": one.seconds, "all_workers_s": all.seconds, "taskgroup_s": taskGroupSeconds,
                "speedup": one.seconds / all.seconds, "pool_over_taskgroup": all.seconds / taskGroupSeconds,
                "workers": Double(all.workers), "primes": Double(taskGroupTotal),
                "busiest_worker_ranges": Double(all.busiest), "ranges": Double(ranges.count),
                "parent_cpu_s_all_workers": all.parentCPU, "parent_cpu_s_one_worker": one.parentCPU]
    }
}
#endif  // Tools
