// The PostgreSQL scenarios' rows. Their measuring side is mp-bench-postgres
// (Sources/MPBenchPostgres), a separate executable: linking the PostgreSQL client (and through it
// Foundation and ICU) into mp-bench would make every worker mp-bench starts slower and bigger,
// which cold-start and worker-memory measure.

/// Tiny tasks end to end through the PostgreSQL queue, against Celery with Redis.
enum PostgresTiny: Scenario {
    static let name = "pg-tiny"
    static let summary = "N tiny tasks (square an Int) through PostgreSQL on loopback: one worker host (2 local "
        + "workers), a DistributedProcessPool.map from submission to the last result. Peer: Celery 5, Redis broker "
        + "and result backend on loopback, one worker --concurrency 2, a group of N tasks."
    static var peerScript: String? { "celery_tiny.py" }
    static var needsPostgres: Bool { true }
    static var measuringExecutable: String? { "mp-bench-postgres" }
    /// Celery's prefork pool forks its worker processes itself; the script takes no start method.
    static var peerStartMethods: [String] { [] }
    static var peerStartMethodText: String? { "Celery prefork (the worker forks its processes)" }
    static var countKeys: [String] { ["tasks"] }

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "tasks/s", higherIsBetter: true, ours: "tasks_per_s", peer: "tasks_per_s",
                    note: "the Python column is Celery + Redis, not multiprocessing; our absolute goal is >= 5,000 tasks/s") {
                .ratio(atLeast: 2, $0, text: ">= 2x Celery")
            },
        ]
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
