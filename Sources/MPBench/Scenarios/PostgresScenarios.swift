import Multiprocessing
import MultiprocessingPostgres
#if canImport(Glibc)
import Glibc
#endif

/// Tiny tasks end to end through the PostgreSQL queue, against Celery with Redis.
enum PostgresTiny: Scenario {
    static let name = "pg-tiny"
    static let summary = "N tiny tasks (square an Int) through PostgreSQL on loopback: one worker host (this "
        + "executable in host mode, 2 local workers), a DistributedProcessPool.map from submission to the last "
        + "result. Peer: Celery 5, Redis broker and result backend on loopback, one worker --concurrency 2, a group."
    static var peerScript: String? { "celery_tiny.py" }
    static let needsPostgres = true

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "tasks/s", higherIsBetter: true, ours: "tasks_per_s", peer: "tasks_per_s",
                    note: "the Python column is Celery + Redis, not multiprocessing; our absolute goal is >= 5,000 tasks/s") {
                .ratio(atLeast: 2, $0, text: ">= 2x Celery")
            },
        ]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let tasks = quick ? 2_000 : 20_000
        let url = try PostgresBench.url()
        let queue = "bench-tiny-\(getpid())"
        let host = try PostgresBench.startHost(url: url, queue: queue, processes: 2, leaseSeconds: 30)
        defer { PostgresBench.stop(host) }
        let pool = try await DistributedProcessPool(url: url, queue: queue)
        defer { pool.close() }
        _ = try await pool.map(Square(), Array(0..<100))  // the host is up and its workers have answered
        let watch = Stopwatch()
        let squares = try await pool.map(Square(), Array(0..<tasks))
        let seconds = watch.seconds
        try check(squares == (0..<tasks).map { $0 * $0 }, "wrong squares")
        return ["tasks_per_s": Double(tasks) / seconds, "seconds": seconds, "tasks": Double(tasks)]
    }
}

/// How long a killed host's tasks take to finish elsewhere.
enum PostgresRecovery: Scenario {
    static let name = "pg-recovery"
    static let summary = "Two worker hosts (1 local worker each, lease 2 s) run 400 tasks of 10 ms; once the first "
        + "has claimed work it is killed with SIGKILL. Seconds from the kill until its tasks are back in the queue "
        + "(lease expiry), and until the job's last result (they then run on the other host). No peer."
    static var peerScript: String? { nil }
    static let needsPostgres = true

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
        let url = try PostgresBench.url()
        let queue = "bench-recovery-\(getpid())"
        let victim = try PostgresBench.startHost(url: url, queue: queue, processes: 1, leaseSeconds: 2)
        let survivor = try PostgresBench.startHost(url: url, queue: queue, processes: 1, leaseSeconds: 2)
        defer { PostgresBench.stop(survivor) }
        let pool = try await DistributedProcessPool(url: url, queue: queue)
        defer { pool.close() }
        let job = try await pool.start(BenchNap(), Array(repeating: 10, count: 400))
        while try await !pool.status().runningByHost.keys.contains(where: { $0.contains("-\(victim)-") }) {
            try await Task.sleep(for: .milliseconds(5))
        }
        PostgresBench.stop(victim)
        let watch = Stopwatch()
        let collecting = Task { try await job.results() }
        while try await pool.status().runningByHost.keys.contains(where: { $0.contains("-\(victim)-") }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let requeued = watch.seconds
        let results = try await collecting.value
        let total = watch.seconds
        try check(results.allSatisfy { (try? $0.get()) == 10 }, "a task failed")
        return ["requeued_s": requeued, "total_s": total]
    }
}

struct BenchNap: Job {
    func run(_ milliseconds: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }
}

/// The database the PostgreSQL scenarios use, and their worker hosts.
enum PostgresBench {
    static let urlVariable = "MP_BENCH_POSTGRES_URL"

    static func url() throws -> String {
        guard let url = getenv(urlVariable) else {
            throw BenchError.failed("the PostgreSQL scenarios need mp-bench --postgres URL")
        }
        return String(cString: url)
    }

    /// This executable started as a worker host of `queue`.
    static func startHost(url: String, queue: String, processes: Int, leaseSeconds: Int) throws -> pid_t {
        let settings = [HostEnvironment.queueVariable: queue, HostEnvironment.urlVariable: url,
                        "MULTIPROCESSING_POSTGRES_PROCESSES": "\(processes)",
                        "MULTIPROCESSING_POSTGRES_LEASE_SECONDS": "\(leaseSeconds)"]
        for (name, value) in settings { setenv(name, value, 1) }
        defer { for name in settings.keys { unsetenv(name) } }
        let path = Locations.executable()
        var pid: pid_t = 0
        let argv = [strdup(path), nil]
        defer { free(argv[0]) }
        let error = posix_spawn(&pid, path, nil, nil, argv, environ)
        guard error == 0 else { throw BenchError.failed("cannot start a worker host: error \(error)") }
        return pid
    }

    static func stop(_ pid: pid_t) {
        kill(pid, SIGKILL)
        waitpid(pid, nil, 0)
    }
}
