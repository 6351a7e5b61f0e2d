// A program the host-condition tests start: it makes itself a hostile host (SIGCHLD ignored, a
// thread that reaps every child, its own signal handlers, a standard error nobody reads or
// nobody can read) and then uses pools and processes as any program would, saying each step.
import Dispatch
import Logging
import Multiprocessing
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

struct Square: Job {
    func run(_ x: Int) async throws -> Int { x * x }
}

/// Item 5 ends its worker with status 3.
struct ExitOnFive: Job {
    func run(_ x: Int) async throws -> Int {
        if x == 5 { exit(3) }
        return x
    }
}

struct Sleep: Job {
    func run(_ milliseconds: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }
}

/// Writes `lines` lines of 1 KiB to standard error, then sleeps `milliseconds`.
struct Chatter: Job {
    var lines: Int
    func run(_ milliseconds: Int) async throws -> Int {
        let line = String(repeating: "x", count: 1023) + "\n"
        for _ in 0..<lines { _ = line.withCString { write(2, $0, 1024) } }
        try await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }
}

/// Writes to standard error without end.
struct Flood: Job {
    func run(_ x: Int) async throws -> Int {
        let line = String(repeating: "y", count: 99) + "\n"
        while true { _ = line.withCString { write(2, $0, 100) } }
    }
}

struct Answer: ProcessTarget {
    func run() async throws -> Int { 42 }
}

struct Nap: ProcessTarget {
    func run() async throws { try await Task.sleep(for: .seconds(60)) }
}

/// Prints a line at once (stdout is a pipe to the test: no buffering).
func say(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(1, $0, strlen($0)) }
}

func fail(_ line: String) -> Never {
    say("FAILED " + line)
    exit(1)
}

/// What a program ordinarily does with pools and processes; each step says "ok" or fails.
func ordinaryUse() async throws {
    let pool = try ProcessPool(workers: 2)
    let squares = try await pool.map(Square(), Array(0..<40), chunkSize: 1)
    guard squares == (0..<40).map({ $0 * $0 }) else { fail("map: \(squares)") }
    say("map ok")

    let crashed = try await pool.mapResults(ExitOnFive(), Array(0..<10), chunkSize: 1, retries: 0)
    for (index, result) in crashed.enumerated() {
        switch (index, result) {
        case (5, .failure(let failure)):
            guard case .crashed(let status) = failure.reason, status == .exited(3) || status == .unknown else {
                fail("crash: item 5 failed with \(failure.reason)")
            }
            say("crash ok \(status)")
        case (5, .success): fail("crash: item 5 succeeded")
        case (_, .success(let value)) where value == index: break
        default: fail("crash: item \(index) gave \(result)")
        }
    }

    let timed = try await pool.mapResults(Sleep(), [60_000, 1], chunkSize: 1, timeout: .milliseconds(500), retries: 0)
    guard case .failure(let failure) = timed[0], case .timedOut = failure.reason, case .success(1) = timed[1] else {
        fail("timeout: \(timed)")
    }
    say("timeout ok")

    try pool.close()
    try await pool.join()
    say("pool closed")

    let answer = try await WorkerProcess.run(Answer())
    guard answer == 42 else { fail("process: \(answer)") }
    say("process ok")

    let napper = try WorkerProcess(target: Nap())
    try await napper.start()
    napper.kill()
    let status = try await napper.join()
    guard status == .signaled(SIGKILL) || status == .unknown else { fail("kill: \(status)") }
    say("kill ok \(status)")
}

/// Starts a thread that reaps every child of the program, as some servers and shells do.
func startForeignReaper() {
    var thread = pthread_t()
    pthread_create(&thread, nil, { _ in
        while true {
            var status: Int32 = 0
            if waitpid(-1, &status, 0) < 0 { usleep(1000) }
        }
    }, nil)
}

/// A log handler that blocks for good on every message.
struct BlockingLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        while true { sleep(3600) }
    }
}

/// How often the program's SIGUSR1 handler ran.
let handlerRuns = Atomic<Int>(0)

/// The program's own handlers: a Dispatch signal source for SIGTERM, a plain handler for SIGUSR1.
func installProgramHandlers() -> any DispatchSourceSignal {
    let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
    source.setEventHandler { say("dispatch saw SIGTERM") }
    source.resume()
    // libdispatch installs its handler from its own thread, a moment later.
    for _ in 0..<200 where disposition(SIGTERM) == "default" { usleep(10_000) }
    signal(SIGUSR1) { _ in
        let text = "handler saw SIGUSR1\n"
        _ = text.withCString { write(1, $0, strlen($0)) }
        handlerRuns.add(1, ordering: .sequentiallyConsistent)
    }
    return source
}

/// The action `signal` has now, as text: "default", "ignore" or "handler 0x…".
func disposition(_ signal: Int32) -> String {
    var action = sigaction()
    sigaction(signal, nil, &action)
    let handler = unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self)
    switch handler {
    case 0: return "default"
    case 1: return "ignore"
    default: return "handler \(String(handler, radix: 16)) flags \(action.sa_flags)"
    }
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "ignore-sigchld":
    signal(SIGCHLD, SIG_IGN)
    try await ordinaryUse()
case "foreign-reaper":
    startForeignReaper()
    try await ordinaryUse()
case "signal-dispositions":
    // The program's own handling: SIGINT ignored, SIGTERM through a Dispatch signal source,
    // SIGUSR1 by a plain handler. withInterruptCancellation must put each back as it was.
    signal(SIGINT, SIG_IGN)
    let source = installProgramHandlers()
    let watched: [Int32] = [SIGINT, SIGTERM, SIGUSR1]
    let before = watched.map(disposition)
    do {
        try await withInterruptCancellation(signals: watched) {
            try await withInterruptCancellation(signals: watched) {}
            say("inner returned")
            // The outer call still watches: this cancels it instead of ending the program, and
            // the program's own handler runs too.
            kill(getpid(), SIGUSR1)
            try await Task.sleep(for: .seconds(30))
            fail("the outer call was not cancelled")
        }
        fail("withInterruptCancellation returned instead of throwing")
    } catch is CancellationError {
        say("outer cancelled")
    }
    let after = watched.map(disposition)
    guard after == before else { fail("dispositions were \(before), are \(after)") }
    say("dispositions restored")
    kill(getpid(), SIGUSR1)
    // The signal is delivered to some thread of the program, a moment later.
    for _ in 0..<500 where handlerRuns.load(ordering: .sequentiallyConsistent) < 2 { usleep(10_000) }
    say("done")
    source.cancel()
case "stderr-full":
    // Standard error is a pipe nobody reads (until the end): it fills after 64 KiB.
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0, dup2(ends[1], 2) == 2 else { fail("pipe") }
    close(ends[1])
    let pool = try ProcessPool(workers: 2)
    // Progress lines go to the same full pipe: drawing them must not hang either.
    let progress = ProgressReporter(total: 9, label: "chatter", output: .standardError)
    // 2 MiB of standard error in all, then an item that must time out.
    let results = try await pool.mapResults(Chatter(lines: 256), Array(repeating: 10, count: 8) + [60_000],
                                            chunkSize: 1, timeout: .seconds(5), retries: 0, progress: progress)
    progress.finish()
    for result in results.prefix(8) {
        guard case .success(10) = result else { fail("chatter: \(result)") }
    }
    guard case .failure(let failure) = results[8], case .timedOut = failure.reason else { fail("timeout: \(results[8])") }
    say("full ok")
    // Someone reads at last: what was dropped is said.
    _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
    var text: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    for _ in 0..<200 {
        while true {
            let count = read(ends[0], &buffer, buffer.count)
            if count <= 0 { break }
            text.append(contentsOf: buffer[0..<count])
        }
        if String(decoding: text, as: UTF8.self).contains("bytes of workers' standard error dropped") { break }
        usleep(50_000)
    }
    let note = String(decoding: text, as: UTF8.self).split(separator: "\n").first { $0.contains("dropped") }
    say("note \(note.map(String.init) ?? "none")")
    try pool.close()
    try await pool.join()
    say("done")
case "stderr-closed":
    // Standard error is a pipe whose reader is gone: a write to it raises SIGPIPE, whose
    // default action kills the program, unless the writer blocks the signal.
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0, dup2(ends[1], 2) == 2 else { fail("pipe") }
    close(ends[1])
    close(ends[0])
    let progress = ProgressReporter(total: 8, label: "chatter")
    let pool = try ProcessPool(workers: 2)
    let results = try await pool.map(Chatter(lines: 64), Array(repeating: 10, count: 8), chunkSize: 1,
                                     progress: progress)
    progress.finish()
    guard results == Array(repeating: 10, count: 8) else { fail("chatter: \(results)") }
    say("closed ok")
    try pool.close()
    try await pool.join()
    say("done")
case "stderr-flood":
    // A worker that writes to standard error without end (here /dev/null) must not keep the
    // reactor reading: its timeout fires, and the other items finish.
    let null = open("/dev/null", O_WRONLY)
    guard null >= 0, dup2(null, 2) == 2 else { fail("/dev/null") }
    let pool = try ProcessPool(workers: 4)
    let results = try await pool.mapResults(Flood(), [1, 2, 3, 4], chunkSize: 1, timeout: .seconds(1), retries: 0)
    for result in results {
        guard case .failure(let failure) = result, case .timedOut = failure.reason else { fail("flood: \(result)") }
    }
    say("flood ok")
    let squares = try await pool.map(Square(), Array(0..<10))
    guard squares == (0..<10).map({ $0 * $0 }) else { fail("map: \(squares)") }
    say("done")
case "ignore-interrupts":
    // The program ignores SIGINT and SIGTERM; its workers must not inherit that (a timeout
    // stops a worker with SIGTERM first).
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    try await ordinaryUse()
case "blocking-log-handler":
    // The program's log handler never returns: the library's warnings must not be written on
    // the thread that supervises the workers.
    LoggingSystem.bootstrap { _ in BlockingLogHandler() }
    try await ordinaryUse()
    // The stuck log handler holds no progress drawing up either.
    let finals = Atomic<Int>(0)
    let progress = ProgressReporter(total: 4, output: .custom(interval: .seconds(3600)) { snapshot in
        if snapshot.done == 4 { finals.add(1, ordering: .sequentiallyConsistent) }
    })
    _ = try await WorkerProcess.run(Answer())
    progress.advance(by: 4)
    progress.finish()
    say("progress \(finals.load(ordering: .sequentiallyConsistent))")
default:
    say("usage: mp-host-helper blocking-log-handler | stderr-flood | ignore-interrupts |  ignore-sigchld | foreign-reaper | signal-dispositions | stderr-full | stderr-closed")
    exit(2)
}
