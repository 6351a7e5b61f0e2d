import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// What an idle worker costs, once it has run a task.
enum WorkerMemory: Scenario {
    static let name = "worker-memory"
    static let summary = "An all-CPU pool whose every worker ran a tiny task, then idle for 0.3 s: each worker's "
        + "USS (Private_Clean + Private_Dirty) and PSS from /proc/PID/smaps_rollup, the mean over the workers; MiB. "
        + "Python: a spawn Pool, the same."

    static var peerStartMethods: [String] { ["spawn"] }

    static var countKeys: [String] { ["workers"] }

    static var rows: [RowSpec] {
        [
            RowSpec(name: "worker-memory-uss", unit: "MiB/worker", higherIsBetter: false, ours: "uss_mib",
                    peer: "uss_mib", note: "USS: the memory only that worker holds. Python: spawn.") {
                .ratio(atLeast: 2, $0, text: "<= 1/2 of Python spawn")
            },
            RowSpec(name: "worker-memory-pss", unit: "MiB/worker", higherIsBetter: false, ours: "pss_mib",
                    peer: "pss_mib", note: "PSS: USS plus each shared page divided among the processes sharing it.") { _ in
                .none("reported (no goal)")
            },
        ]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        try await withProcessPool { pool in
            let pids = try await warmUp(pool)
            // What the pool reports, and who answered, must agree.
            let reported = await pool.workerPIDs()
            try check(Set(reported) == Set(pids), "workerPIDs() \(reported.sorted()) but the workers were \(pids)")
            usleep(300_000)
            var uss = 0.0, pss = 0.0, rss = 0.0
            for pid in pids {
                guard let memory = ProcessMemory(pid: pid) else {
                    throw BenchError.failed("cannot read /proc/\(pid)/smaps_rollup")
                }
                uss += memory.ussKiB
                pss += memory.pssKiB
                rss += memory.rssKiB
            }
            let workers = Double(pids.count)
            return ["uss_mib": uss / workers / 1024, "pss_mib": pss / workers / 1024, "rss_mib": rss / workers / 1024,
                    "workers": workers]
        }
    }
}
