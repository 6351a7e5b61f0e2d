import Foundation
import Testing
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Starts two tasks that outlive it: one that holds its thread (blocking sleeps), and a ticker
/// that appends a byte to `tickFile` every 10 ms, and so needs a cooperative thread to run.
struct StartsBackgroundWork: Job {
    var tickFile: String

    func run(_ x: Int) async throws -> Int {
        Task.detached {
            while true { usleep(1000) }
        }
        let path = tickFile
        Task.detached {
            while true {
                try? await Task.sleep(for: .milliseconds(10))
                noteRun(of: 0, in: path)
            }
        }
        return x
    }
}

@Suite("Worker threads")
struct WorkerThreadsTests {
    @Test("an idle worker holds no cooperative thread: tasks a job started keep running while it waits")
    func idleWorkerLeavesCooperativeThreads() async throws {
        let directory = try temporaryDirectory("ticks")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withProcessPool(workers: 1) { pool in
            #expect(try await pool.apply(StartsBackgroundWork(tickFile: directory), 1) == 1)
            // The worker is idle now. One cooperative thread per CPU: the blocking task holds
            // one; were the idle worker to hold another in `poll`, the ticker would starve here.
            try await Task.sleep(for: .seconds(1))
            let ticks = runCounts(0..<1, in: directory)[0]
            #expect(ticks >= 10, "the ticker ran \(ticks) times in 1 s while its worker was idle")
            #expect(try await pool.apply(Square(), 4) == 16, "and the worker still serves")
        }
    }
}
