#if Tools
import CBenchSupport
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Sequential `apply` of a tiny job: one round trip to a worker and back, and beside it the
/// kernel's floor for a blocking round trip between two processes.
enum ApplyLatency: Scenario {
    static let name = "apply-latency"
    static let summary = "2,000 sequential pool.apply(Square(), i), each timed; the median us per call. Then, in the "
        + "same process, a blocking 16-byte socketpair ping-pong with a forked C child (the kernel's floor). "
        + "Also counts the context switches of every thread of the parent and the workers per call. "
        + "Python: pool.apply(square, (i,))."

    static var countKeys: [String] { ["calls", "warm_up_calls", "workers"] }

    /// joblib has no single-call API (a Parallel per call would measure its set-up).
    static var extraPeers: [PeerSpec] { [.python313, .futures, .loky, .mpire, .ray, .dask] }

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "us/call", higherIsBetter: false, ours: "apply_us", peer: "apply_us",
                    cpu: CPUSpec(work: "calls", unit: "calls/CPU-s")) {
                .ratio(atLeast: 50, $0, text: ">= 50x faster than Python")
            },
            RowSpec(name: "apply-switches", unit: "switches/call", higherIsBetter: false, ours: "switches_per_call",
                    peer: "switches_per_call",
                    note: "context switches per apply, every thread of the parent and the workers (/proc/PID/task/*/"
                        + "status), in the same runs; the floor's ping-pong takes 2.") { _ in
                .none("reported (no goal)")
            },
            RowSpec(name: "socketpair-floor", unit: "us/round trip", higherIsBetter: false, ours: "floor_us", peer: nil,
                    note: "the kernel's floor (a blocking socketpair ping-pong in C, 16 bytes), measured by our side's "
                        + "apply-latency runs; ours column only. Its goal is on apply-latency: floor/apply >= 2.",
                    oursStartMethod: "fork of a C child that runs only read and write") { context in
                let floor = context.ours["floor_us"]
                let apply = context.ours["apply_us"]
                return GoalEvaluation(text: "apply <= 1/2 of this floor", quantity: "floor / apply",
                                      value: floor.flatMap { floor in apply.map { floor / $0 } }, target: 2)
            },
        ]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let calls = quick ? 200 : 2_000
        let warmUpCalls = 50
        var metrics: Metrics = try await withProcessPool { pool in
            let workers = try await warmUp(pool)
            let processes = [getpid()] + workers
            for index in 0..<warmUpCalls {
                let square = try await pool.apply(Square(), index)
                try check(square == index * index, "square of \(index) is \(square)")
            }
            var durations: [Double] = []
            durations.reserveCapacity(calls)
            let switchesBefore = contextSwitches(of: processes)
            let waitBefore = runQueueWaitSeconds(of: processes)
            let cpuBefore = processCPUSeconds()
            let meter = CPUMeter(workers: workers)
            for index in 0..<calls {
                let watch = Stopwatch()
                let square = try await pool.apply(Square(), index)
                durations.append(Double(watch.nanoseconds) / 1e3)
                try check(square == index * index, "square of \(index) is \(square)")
            }
            let parentCPU = processCPUSeconds() - cpuBefore
            let cpu = try meter.metrics()
            let switches = contextSwitches(of: processes) - switchesBefore
            let waited = runQueueWaitSeconds(of: processes) - waitBefore
            return ["apply_us": medianOf(durations)!, "apply_p10_us": percentile(durations, 0.1)!,
                    "apply_p90_us": percentile(durations, 0.9)!, "calls": Double(calls), "warm_up_calls": Double(warmUpCalls),
                    "workers": Double(pool.workerCount), "switches_per_call": Double(switches) / Double(calls),
                    "parent_cpu_us_per_call": parentCPU * 1e6 / Double(calls),
                    "runqueue_wait_us_per_call": waited * 1e6 / Double(calls)].merging(cpu)
        }
        // The floor, once the pool is gone.
        let rounds = quick ? 200 : 2_000
        var nanoseconds = [Int64](repeating: 0, count: rounds)
        let error = cbs_socketpair_pingpong(100, Int32(rounds), 16, &nanoseconds)
        guard error == 0 else { throw BenchError.failed("socketpair ping-pong failed: errno \(error)") }
        let floors = nanoseconds.map { Double($0) / 1e3 }
        metrics["floor_us"] = medianOf(floors)!
        metrics["floor_p10_us"] = percentile(floors, 0.1)!
        metrics["floor_p90_us"] = percentile(floors, 0.9)!
        return metrics
    }
}
#endif  // Tools
