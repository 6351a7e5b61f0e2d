#if Tools
// The PostgreSQL scenarios' rows. Their measuring side is mp-bench-postgres
// (Sources/MPBenchPostgres), a separate executable: linking the PostgreSQL client (and through it
// Foundation and ICU) into mp-bench would make every worker mp-bench starts slower and bigger,
// which cold-start and worker-memory measure.

/// Tiny tasks end to end through the PostgreSQL queue, against Celery with Redis; with `--peers`
/// also against Celery in chunks and the PostgreSQL-backed queues Procrastinate and PgQueuer.
enum PostgresTiny: Scenario {
    static let name = "pg-tiny"
    static let summary = "N tiny tasks (square an Int) through PostgreSQL on loopback: one worker host (2 local "
        + "workers), a DistributedProcessPool.map from submission to the last result. Peer: Celery 5, Redis broker "
        + "and result backend on loopback, one worker --concurrency 2, a group of N tasks. With --peers: Celery "
        + "the same but in chunks (square.chunks, Pool.map's default chunk size), Procrastinate and PgQueuer on "
        + "the same PostgreSQL server (2 worker processes each, the N jobs deferred in one batch, each job "
        + "writing its result as a row), every result checked."
    static var peerScript: String? { "celery_tiny.py" }
    static var needsPostgres: Bool { true }
    static var measuringExecutable: String? { "mp-bench-postgres" }
    /// Celery's prefork pool forks its worker processes itself; the script takes no start method.
    static var peerStartMethods: [String] { [] }
    static var peerStartMethodText: String? {
        "Celery prefork (the worker forks its processes); with --peers, Procrastinate's and PgQueuer's 2 worker "
            + "processes are started with multiprocessing's spawn"
    }
    static var countKeys: [String] { ["tasks"] }
    static var peerLabel: String { "celery group" }
    /// The queue peers only: Python 3.13 would be the same Celery on another interpreter.
    static var extraPeers: [PeerSpec] { [.celeryChunks, .procrastinate, .pgqueuer] }

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "tasks/s", higherIsBetter: true, ours: "tasks_per_s", peer: "tasks_per_s",
                    note: "the Python column is Celery + Redis (a group of single tasks), not multiprocessing; with "
                        + "--peers the goal is the issue's, >= 3x the best of Celery in chunks, Procrastinate and "
                        + "PgQueuer, else >= 2x Celery; our absolute goal is >= 5,000 tasks/s") { context in
                queuePeersGoal(context) ?? .ratio(atLeast: 2, context, text: ">= 2x Celery")
            },
        ]
    }

    /// With `--peers`: ours must reach 3x the best queue peer (the lowest ratio among those that
    /// ran); a peer that was skipped or failed is named, and the goal is then not judged.
    static func queuePeersGoal(_ context: GoalContext) -> GoalEvaluation? {
        guard !context.extra.isEmpty else { return nil }
        let missing = context.extra.filter { $0.ratio == nil }.map { $0.label }
        let text = ">= 3x the best of " + context.extra.map { $0.label }.joined(separator: ", ")
        guard missing.isEmpty else {
            return GoalEvaluation(text: text + " (not judged: \(missing.joined(separator: ", ")) did not run)",
                                  quantity: "x best queue peer", value: nil, target: 3)
        }
        return GoalEvaluation(text: text, quantity: "x best queue peer",
                              value: context.extra.compactMap { $0.ratio }.min(), target: 3)
    }

    static func measure(quick: Bool) async throws -> Metrics {
        throw BenchError.failed("pg-tiny is measured by mp-bench-postgres")
    }
}

/// How long a killed host's tasks take to finish elsewhere.
enum PostgresRecovery: Scenario {
    static let name = "pg-recovery"
    static let summary = "Two worker hosts (1 local worker each, lease 2 s) run 400 tasks of 10 ms; once the first "
        + "has claimed work it is killed with SIGKILL. Seconds from the kill until its tasks are back in the queue "
        + "(lease expiry), and until the job's last result (they then run on the other host). No peer."
    static var peerScript: String? { nil }
    static var needsPostgres: Bool { true }
    static var measuringExecutable: String? { "mp-bench-postgres" }

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "s", higherIsBetter: false, ours: "requeued_s", peer: nil,
                    note: "from SIGKILL of a host until its claimed tasks are back in the queue, lease 2 s") { _ in
                .none("reported (lease 2 s)")
            },
            RowSpec(name: "pg-recovery-total", unit: "s", higherIsBetter: false, ours: "total_s", peer: nil,
                    note: "from the same SIGKILL to the job's last result (the rerun work included)") { _ in
                .none("reported")
            },
        ]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        throw BenchError.failed("pg-recovery is measured by mp-bench-postgres")
    }
}

/// The environment variable through which `mp-bench --postgres URL` passes the database to mp-bench-postgres.
let postgresURLVariable = "MP_BENCH_POSTGRES_URL"

/// Whether the queue's rate holds as jobs grow, with the server's durability off and on.
enum PostgresScale: Scenario {
    static let name = "pg-scale"
    static let summary = "One job of N tiny tasks (square an Int, every result checked) through PostgreSQL on loopback, "
        + "N = 10k, 100k and 1M (--quick: 10k), one worker host (2 local workers), DistributedProcessPool.map from "
        + "submission to the last result; first with the server's fsync, synchronous_commit and full_page_writes off, "
        + "then on (ALTER SYSTEM). With the peak resident memory (VmHWM, reset before each job) of the submitter, the "
        + "host and its workers. No peer."
    static var peerScript: String? { nil }
    static var needsPostgres: Bool { true }
    static var measuringExecutable: String? { "mp-bench-postgres" }
    static var timeLimitSeconds: Double { 3_600 }

    static var rows: [RowSpec] {
        var rows: [RowSpec] = []
        for (mode, words) in [("nondurable", "durability off"), ("durable", "fsync and synchronous_commit on")] {
            for size in ["10k", "100k", "1m"] {
                let suffix = "\(size)\(mode == "durable" ? "-durable" : "")"
                rows.append(RowSpec(name: "\(name)-\(suffix)", unit: "tasks/s", higherIsBetter: true,
                                    ours: "\(mode)_\(size)_tasks_per_s", peer: nil,
                                    note: "a job of \(size) tasks, \(words); its rate should not fall with the size") { _ in
                    .none("reported")
                })
                for (process, key) in [("submitter", "submitter_peak_mib"), ("host", "host_peak_mib"), ("worker", "worker_peak_mib")] {
                    rows.append(RowSpec(name: "\(name)-\(suffix)-\(process)-rss", unit: "MiB", higherIsBetter: false,
                                        ours: "\(mode)_\(size)_\(key)", peer: nil,
                                        note: "the \(process)'s peak resident memory during that job") { _ in
                        .none("reported")
                    })
                }
            }
        }
        return rows
    }

    static func measure(quick: Bool) async throws -> Metrics {
        throw BenchError.failed("pg-scale is measured by mp-bench-postgres")
    }
}
#endif  // Tools
