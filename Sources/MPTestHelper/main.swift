// A program the tests start in a process of its own, for what a test cannot observe from
// inside the test runner: its own death by SIGKILL or SIGINT, and its own descriptors and
// children over many pool cycles without other tests' pools in the same process.
import Multiprocessing
#if Postgres
import MultiprocessingPostgres
#endif
#if canImport(Glibc)
import Glibc
#endif

struct Square: Job {
    func run(_ x: Int) async throws -> Int { x * x }
}

struct Nap: Job {
    func run(_ milliseconds: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }
}

/// Prints a line at once (stdout is a pipe to the test: no buffering).
func say(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(1, $0, strlen($0)) }
}

/// Open descriptors of this process.
func descriptorCount() -> Int {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    while readdir(directory) != nil { count += 1 }
    return count - 3  // ".", ".." and the directory's own descriptor
}

/// Children of this process, and how many of them are zombies.
func children() -> (all: Int, zombies: Int) {
    guard let directory = opendir("/proc") else { return (-1, -1) }
    defer { closedir(directory) }
    var all = 0, zombies = 0
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard Int32(name) != nil, let file = fopen("/proc/\(name)/stat", "r") else { continue }
        var buffer = [CChar](repeating: 0, count: 512)
        let line = fgets(&buffer, 512, file) == nil ? "" :
            String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fclose(file)
        guard let close = line.lastIndex(of: ")") else { continue }
        let fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 2, Int32(fields[1]) == getpid() else { continue }
        all += 1
        if fields[0] == "Z" { zombies += 1 }
    }
    return (all, zombies)
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "hold-pool":
    // Starts a pool, says its workers' pids, then works until killed.
    let workers = arguments.dropFirst().first.flatMap { Int($0) } ?? 2
    let pool = try ProcessPool(workers: workers)
    _ = try await pool.map(Square(), Array(0..<(workers * 8)), chunkSize: 1)
    for pid in await pool.workerPIDs() { say("worker \(pid)") }
    say("ready")
    _ = try await pool.map(Nap(), Array(repeating: 1000, count: 1000), chunkSize: 1)
#if Postgres
case "pg-submit":
    // Submits a job of Square on 0..<count to the queue named by MP_TEST_PG_QUEUE of the
    // database MP_TEST_PG_URL, says its id, collects a few results, then waits to be killed.
    // (This executable is also the tests' worker host of "another build".)
    let count = arguments.dropFirst().first.flatMap { Int($0) } ?? 100
    guard let url = getenv("MP_TEST_PG_URL"), let queue = getenv("MP_TEST_PG_QUEUE") else { say("no database"); exit(2) }
    let pool = try await DistributedProcessPool(url: String(cString: url), queue: String(cString: queue))
    let job = try await pool.start(Square(), Array(0..<count))
    say("job \(job.id)")
    var collected = 0
    for try await _ in job.outcomes() {
        collected += 1
        if collected == 5 { say("collected 5") }
    }
    try await Task.sleep(for: .seconds(3600))
#endif
case "cycles":
    // Creates, uses and closes pools; says what is left over.
    let count = arguments.dropFirst().first.flatMap { Int($0) } ?? 1000
    // One cycle first: the reactor's thread and descriptors, made once per program, are not a leak.
    let warmUp = try ProcessPool(workers: 1)
    _ = try await warmUp.apply(Square(), 1)
    try warmUp.close()
    try await warmUp.join()
    let before = descriptorCount()
    for index in 0..<count {
        let pool = try ProcessPool(workers: 1)
        guard try await pool.apply(Square(), index) == index * index else { say("wrong result"); exit(1) }
        try pool.close()
        try await pool.join()
    }
    let after = descriptorCount()
    let (all, zombies) = children()
    say("descriptors-before \(before) descriptors-after \(after) children \(all) zombies \(zombies)")
case "spawn-out-of-descriptors":
    try await spawnWhileOutOfDescriptors()
case "spawn-unexecutable":
    try await spawnOfUnexecutableFile()
default:
    say("usage: mp-test-helper hold-pool [workers] | cycles [count] | spawn-out-of-descriptors | spawn-unexecutable")
    exit(2)
}
