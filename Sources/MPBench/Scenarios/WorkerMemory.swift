#if Tools
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// What an idle worker costs, once it has run a task.
enum WorkerMemory: Scenario {
    static let name = "worker-memory"
    static let summary = "An all-CPU pool whose every worker ran a tiny task, then idle for 0.3 s: each worker's "
        + "USS (Private_Clean + Private_Dirty), PSS and RSS from /proc/PID/smaps_rollup, the mean over the workers; "
        + "MiB. Python: a Pool of each start method (spawn, fork, forkserver), the same."

    static var peerStartMethods: [String] { ["spawn", "fork", "forkserver"] }

    static var countKeys: [String] { ["workers"] }

    /// The rows of one measure (uss, pss, rss) against one start method of the peer.
    static func row(_ measure: String, _ method: String, note: String? = nil,
                    goal: @escaping @Sendable (GoalContext) -> GoalEvaluation = { _ in .none("reported (no goal)") })
        -> RowSpec {
        RowSpec(name: "worker-memory-\(measure)" + (method == "spawn" ? "" : "-\(method)"), unit: "MiB/worker",
                higherIsBetter: false, ours: "\(measure)_mib", peer: "\(method)_\(measure)_mib", note: note,
                peerStartMethod: method, goal: goal)
    }

    static var rows: [RowSpec] {
        [
            row("uss", "spawn", note: "USS: the memory only that worker holds. Python: spawn.") {
                .ratio(atLeast: 2, $0, text: "<= 1/2 of Python spawn")
            },
            row("pss", "spawn", note: "PSS: USS plus each shared page divided among the processes sharing it."),
            row("rss", "spawn", note: "RSS: every page the worker maps, shared ones whole."),
            row("uss", "fork"), row("pss", "fork"), row("rss", "fork"),
            row("uss", "forkserver"),
            row("pss", "forkserver", note: "the issue's goal: ours <= 1/3 of Python forkserver's PSS.") {
                .ratio(atLeast: 3, $0, text: "<= 1/3 of Python forkserver")
            },
            row("rss", "forkserver"),
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
#endif  // Tools
