import Foundation
import Testing
@testable import Multiprocessing

/// For each way a job can take its worker down: a map of 200 items where three do that thing.
/// Every other result is right, each bad item fails with the right cause, the pool goes on,
/// and no process is left over.
@Suite("Crash matrix")
struct CrashMatrixTests {
    static let bad: Set<Int> = [17, 101, 188]

    @Test("a crash costs only the item that caused it", arguments: CrashMode.allCases)
    func crashCostsOneItem(_ mode: CrashMode) async throws {
        let pidDirectory = try temporaryDirectory("crash-\(mode.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: pidDirectory) }
        let options = ProcessPool.Options(memoryLimitBytes: 1 << 30, timeout: mode == .infiniteLoop ? .seconds(1) : nil)
        let pool = try ProcessPool(workers: 2, options: options)
        let killer = mode == .sigkillFromOutside ? Task { await killPIDs(writtenTo: pidDirectory, count: Self.bad.count) } : nil

        let job = Crasher(mode: mode, bad: Self.bad, pidDirectory: pidDirectory)
        let results = try await pool.mapResults(job, Array(0..<200))
        killer?.cancel()

        #expect(results.count == 200)
        for (index, result) in results.enumerated() {
            switch result {
            case let .success(value):
                #expect(!Self.bad.contains(index), "item \(index) should have failed")
                #expect(value == index * 2)
            case let .failure(failure):
                #expect(Self.bad.contains(index), "item \(index) failed: \(failure)")
                #expect(failure.index == index)
                #expect(failure.jobType == "MultiprocessingTests.Crasher")
                expectCause(of: failure, for: mode, index: index)
            }
        }

        let statistics = await pool.statistics()
        if mode == .infiniteLoop {
            #expect(statistics.timeouts == Self.bad.count)
        } else {
            #expect(statistics.workerCrashes == Self.bad.count)
        }
        #expect(statistics.workersStarted == 2 + Self.bad.count)

        // The pool goes on.
        #expect(try await pool.map(Square(), [3, 4]) == [9, 16])
        let pids = await pool.workerPIDs()
        try pool.close()
        try await pool.join()
        for pid in pids { #expect(!isChildEntry(pid), "worker \(pid) left over") }
    }

    private func expectCause(of failure: JobFailure, for mode: CrashMode, index: Int) {
        let stderr = failure.stderrTail.joined(separator: "\n")
        let trap: Set<ProcessExitStatus> = [.signaled(SIGILL), .signaled(SIGTRAP)]
        switch mode {
        case .fatalError:
            #expect(trap.contains(crashStatus(failure)))
            #expect(stderr.contains("Fatal error: boom at \(index)"), "stderr: \(stderr)")
        case .forceUnwrapNil:
            #expect(trap.contains(crashStatus(failure)))
            #expect(stderr.contains("Unexpectedly found nil while unwrapping an Optional value"), "stderr: \(stderr)")
        case .indexOutOfRange:
            #expect(trap.contains(crashStatus(failure)))
            #expect(stderr.contains("Index out of range"), "stderr: \(stderr)")
        case .integerOverflow:
            #expect(trap.contains(crashStatus(failure)))
        case .nullDereference, .stackOverflow:
            #expect(crashStatus(failure) == .signaled(SIGSEGV))
        case .abort:
            #expect(crashStatus(failure) == .signaled(SIGABRT))
        case .exit3:
            #expect(crashStatus(failure) == .exited(3))
        case .sigkillFromOutside:
            #expect(crashStatus(failure) == .signaled(SIGKILL))
        case .memoryCap:
            #expect(failure.reason == .outOfMemory(limitBytes: 1 << 30))
            #expect(stderr.contains("failed to allocate"), "stderr: \(stderr)")
        case .infiniteLoop:
            #expect(failure.reason == .timedOut(.seconds(1)))
        }
        #expect(!stderr.contains("Current stack trace"), "the tail keeps the message, not the trace")
    }

    private func crashStatus(_ failure: JobFailure) -> ProcessExitStatus {
        if case let .crashed(status) = failure.reason { return status }
        Issue.record("expected a crash, got \(failure.reason)")
        return .exited(-1)
    }
}

/// Kills, from outside, each worker that writes its pid into `directory`.
func killPIDs(writtenTo directory: String, count: Int) async {
    var killed = Set<Int32>()
    while killed.count < count && !Task.isCancelled {
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let text = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8),
                  let pid = Int32(text), !killed.contains(pid) else { continue }
            kill(pid, SIGKILL)
            killed.insert(pid)
        }
        try? await Task.sleep(for: .milliseconds(20))
    }
}

func temporaryDirectory(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "swift-multiprocessing-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The pids that items wrote into `directory` (see `Crasher`'s `sigkillFromOutside`).
func pidsWritten(to directory: String) -> [Int32] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap { file in
        (try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)).flatMap { Int32($0) }
    }
}
