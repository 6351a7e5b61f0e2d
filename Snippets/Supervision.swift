// A trap, a hang or a crash in a job costs its item only; the pool replaces the worker and goes on.

import Multiprocessing

struct Fragile: Job {
    func run(_ x: Int) async throws -> Int {
        if x == 13 { fatalError("unlucky \(x)") }   // kills this worker process, not the program
        return x
    }
}

struct Sleepy: Job {
    func run(_ seconds: Int) async throws -> Int {
        try await Task.sleep(for: .seconds(seconds))
        return seconds
    }
}

try await withProcessPool(workers: 2) { pool in
    let results = try await pool.mapResults(Fragile(), Array(0..<20))
    for case let .failure(failure) in results {
        // item 13 worker crashed: killed by SIGILL …: Fatal error: unlucky 13
        print("item", failure.index ?? -1, failure.reason, failure.stderrTail.last ?? "")
    }

    // A timeout stops the work: the worker is killed (SIGTERM, then SIGKILL) and replaced.
    let timed = try await pool.mapResults(Sleepy(), [0, 30], timeout: .milliseconds(500))
    print(timed[1])   // failure(…Sleepy item 1: timed out after 0.5 seconds (worker …))

    // `retries:` runs a crashed or timed-out item again; the last error lists every attempt.
    let retried = try await pool.mapResults(Fragile(), [13], retries: 1)
    if case let .failure(failure) = retried[0] { print(failure.attempts.count, "attempts") }   // 2 attempts

    print(await pool.statistics())   // workerCrashes, timeouts, retries, workersStarted, …
    // snippet.hide
    let failed = results.indices.filter { if case .failure = results[$0] { return true } else { return false } }
    precondition(failed == [13], "only item 13 fails, got \(failed)")
    guard case let .failure(crash) = results[13], case .crashed = crash.reason else { fatalError("\(results[13])") }
    guard case let .failure(timeout) = timed[1], case .timedOut = timeout.reason else { fatalError("\(timed[1])") }
    guard case let .failure(again) = retried[0], again.attempts.count == 2 else { fatalError("\(retried[0])") }
    // snippet.show
}

// Ctrl-C or SIGTERM cancels the body: the pool's workers are stopped in order, then the call throws.
do {
    try await withInterruptCancellation {
        try await withProcessPool { pool in
            _ = try await pool.map(Sleepy(), [0, 0])
        }
    }
} catch is CancellationError {
    print("interrupted")
}
