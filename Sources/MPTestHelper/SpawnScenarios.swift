// Scenarios of workers that cannot be started, run here so that the test runner's own
// descriptor limit and executable are left alone.
import Multiprocessing
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A target that does nothing.
struct Idle: ProcessTarget {
    func run() async throws {}
}

/// Starts a pool and a map while this process is out of descriptors (a low RLIMIT_NOFILE, used
/// up), checks that the pool neither broke nor failed the map meanwhile, then frees the
/// descriptors: the map must finish with its results. Says what it saw, one fact a line.
func spawnWhileOutOfDescriptors() async throws {
    // The reactor's thread and descriptors are made once per program: made here, before the
    // shortage, as a long-running program would have them.
    let warmUp = try ProcessPool(workers: 1)
    _ = try await warmUp.apply(Square(), 1)
    try warmUp.close()
    try await warmUp.join()

    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = rlim_t(descriptorCount() + 64)
    guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { say("setrlimit failed"); exit(1) }
    var dummies: [Int32] = []
    while true {
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if fd < 0 { break }
        dummies.append(fd)
    }
    say("dummies \(dummies.count) errno-emfile \(errno == EMFILE)")
    // One descriptor is left free: libdispatch's thread monitor opens a file of /proc now and
    // then and traps when it cannot (a program with no descriptor at all is killed by it). A
    // spawn needs at least two at once (its socketpair), so it still fails with EMFILE.
    close(dummies.removeLast())

    // A single process has no pool to retry in: its start throws, naming the cause.
    do {
        try await WorkerProcess(target: Idle()).start()
        say("process-started")
    } catch {
        say("process-start-failed \(error)")
    }

    let pool = try ProcessPool(workers: 2)
    let inputs = Array(0..<40)
    let finished = Atomic<Bool>(false)
    let map = Task {
        defer { finished.store(true, ordering: .releasing) }
        return try await pool.map(Square(), inputs, chunkSize: 1)
    }
    try await Task.sleep(for: .milliseconds(300))
    let during = await pool.statistics()
    say("during-finished \(finished.load(ordering: .acquiring))")
    say("during-started \(during.workersStarted)")
    say("during-transient \(during.transientSpawnFailures)")
    say("during-reason \(during.spawnFailure ?? "none")")

    for fd in dummies { close(fd) }
    do {
        let results = try await map.value
        say("results-correct \(results == inputs.map { $0 * $0 })")
    } catch {
        say("map-failed \(error)")
    }
    let after = await pool.statistics()
    say("after-reason \(after.spawnFailure ?? "none")")
    say("after-started \(after.workersStarted)")
    try pool.close()
    try await pool.join()
    say("done")
}

/// Makes this program's own file not executable, then starts a pool and a map: no worker can
/// ever start, and the map must fail with the cause. Run on a copy of the helper.
func spawnOfUnexecutableFile() async throws {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { say("readlink failed"); exit(1) }
    let path = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard chmod(path, 0o644) == 0 else { say("chmod failed"); exit(1) }
    let pool = try ProcessPool(workers: 2)
    do {
        let results = try await pool.map(Square(), Array(0..<10), chunkSize: 1)
        say("map-succeeded \(results.count)")
    } catch let failure as JobFailure {
        if case let .workerStartFailed(why) = failure.reason {
            say("start-failed \(why)")
        } else {
            say("other-failure \(failure)")
        }
    } catch {
        say("other-error \(error)")
    }
    let statistics = await pool.statistics()
    say("transient \(statistics.transientSpawnFailures) started \(statistics.workersStarted)")
    await pool.terminate()
    say("done")
}
