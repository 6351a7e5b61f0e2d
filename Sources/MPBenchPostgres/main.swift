#if Postgres
// The measuring side of mp-bench's PostgreSQL scenarios: `mp-bench-postgres measure pg-tiny|pg-recovery|pg-scale
// [--quick]` prints one JSON line of measurements, as `mp-bench measure` does for the others. Its
// worker hosts are this executable started in host mode. The database comes from
// MP_BENCH_POSTGRES_URL (mp-bench --postgres URL sets it).
import Multiprocessing
import MultiprocessingPostgres
#if canImport(Glibc)
import Glibc
#endif

struct Square: Job {
    func run(_ x: Int) async throws -> Int { x &* x }
}

struct Nap: Job {
    func run(_ milliseconds: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// This executable started as a worker host of `queue`.
func startHost(url: String, queue: String, processes: Int, leaseSeconds: Int) throws -> pid_t {
    let settings = [HostEnvironment.queueVariable: queue, HostEnvironment.urlVariable: url,
                    "MULTIPROCESSING_POSTGRES_PROCESSES": "\(processes)",
                    "MULTIPROCESSING_POSTGRES_LEASE_SECONDS": "\(leaseSeconds)"]
    for (name, value) in settings { setenv(name, value, 1) }
    defer { for name in settings.keys { unsetenv(name) } }
    var pid: pid_t = 0
    let path = "/proc/self/exe"
    let argv = [strdup(path), nil]
    defer { free(argv[0]) }
    let error = posix_spawn(&pid, path, nil, nil, argv, environ)
    guard error == 0 else { throw Failure(description: "cannot start a worker host: error \(error)") }
    return pid
}

func stop(_ pid: pid_t) {
    kill(pid, SIGKILL)
    waitpid(pid, nil, 0)
}

/// Runs `body` with a worker host of `queue` (this executable, 2 local workers, 30 s leases)
/// and a pool of that queue, once the host has answered a warm-up map; stops both after.
func withWarmHost<Value>(url: String, queue: String,
                         _ body: (_ host: pid_t, _ pool: DistributedProcessPool) async throws -> Value) async throws -> Value {
    let host = try startHost(url: url, queue: queue, processes: 2, leaseSeconds: 30)
    defer { stop(host) }
    let pool = try await DistributedProcessPool(url: url, queue: queue)
    defer { pool.close() }
    _ = try await pool.map(Square(), Array(0..<100))  // the host is up and its workers have answered
    return try await body(host, pool)
}

func measureTiny(url: String, quick: Bool) async throws -> [String: Double] {
    let tasks = quick ? 2_000 : 20_000
    return try await withWarmHost(url: url, queue: "bench-tiny-\(getpid())") { _, pool in
        let start = ContinuousClock.now
        let squares = try await pool.map(Square(), Array(0..<tasks))
        let elapsed = seconds(since: start)
        guard squares == (0..<tasks).map({ $0 &* $0 }) else { throw Failure(description: "wrong squares") }
        return ["tasks_per_s": Double(tasks) / elapsed, "seconds": elapsed, "tasks": Double(tasks)]
    }
}

func measureRecovery(url: String) async throws -> [String: Double] {
    let queue = "bench-recovery-\(getpid())"
    let victim = try startHost(url: url, queue: queue, processes: 1, leaseSeconds: 2)
    let survivor = try startHost(url: url, queue: queue, processes: 1, leaseSeconds: 2)
    defer { stop(survivor) }
    let pool = try await DistributedProcessPool(url: url, queue: queue)
    defer { pool.close() }
    let job = try await pool.start(Nap(), Array(repeating: 10, count: 400))
    func victimRuns() async throws -> Bool {
        try await pool.status().runningByHost.keys.contains { $0.contains("-\(victim)-") }
    }
    while try await !victimRuns() { try await Task.sleep(for: .milliseconds(5)) }
    stop(victim)
    let killed = ContinuousClock.now
    let collecting = Task { try await job.results() }
    while try await victimRuns() { try await Task.sleep(for: .milliseconds(20)) }
    let requeued = seconds(since: killed)
    let results = try await collecting.value
    let total = seconds(since: killed)
    guard results.allSatisfy({ (try? $0.get()) == 10 }) else { throw Failure(description: "a task failed") }
    return ["requeued_s": requeued, "total_s": total]
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "demo", let raw = getenv("MP_BENCH_POSTGRES_URL") {
    try await runDashboardDemo(url: String(cString: raw), arguments: Array(arguments.dropFirst()))
    exit(0)
}
guard arguments.count >= 2, arguments[0] == "measure", let raw = getenv("MP_BENCH_POSTGRES_URL") else {
    print("usage: MP_BENCH_POSTGRES_URL=URL mp-bench-postgres measure pg-tiny|pg-recovery|pg-scale [--quick]")
    exit(2)
}
let url = String(cString: raw)
let quick = arguments.contains("--quick")
let metrics: [String: Double]
switch arguments[1] {
case "pg-tiny": metrics = try await measureTiny(url: url, quick: quick)
case "pg-recovery": metrics = try await measureRecovery(url: url)
case "pg-scale": metrics = try await measureScale(url: url, quick: quick)
default:
    print("unknown scenario \(arguments[1])")
    exit(2)
}
print("{" + metrics.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}")
#else
// Built without the Postgres trait (the root package's default): only says how to build it.
#if canImport(Glibc)
import Glibc
#endif
let message = "mp-bench-postgres needs the Postgres trait: swift build --enable-all-traits --product mp-bench-postgres\n"
_ = message.withCString { write(2, $0, strlen($0)) }
exit(2)
#endif  // Postgres
