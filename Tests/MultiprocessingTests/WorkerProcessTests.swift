import Foundation
import Testing
@testable import Multiprocessing

@Suite("WorkerProcess")
struct WorkerProcessTests {
    @Test("start, join and exit status of a process that runs a target")
    func startAndJoin() async throws {
        let release = try temporaryDirectory("start") + "/go"
        let process = try WorkerProcess(target: WaitForFile(path: release))
        #expect(process.pid == nil)
        #expect(!process.isRunning)
        await #expect(throws: ProcessPoolError.notStarted) { try await process.join() }
        try await process.start()
        let pid = try #require(process.pid)
        #expect(pid > 0 && pid != getpid())
        #expect(process.isRunning)
        #expect(process.exitStatus == nil)
        #expect(try await process.join(timeout: .milliseconds(50)) == nil)
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        let status = try await process.join()
        #expect(status == .exited(0))
        #expect(process.exitStatus == .exited(0))
        #expect(!process.isRunning)
        #expect(!isChildEntry(pid))
        await #expect(throws: ProcessPoolError.alreadyStarted) { try await process.start() }
    }

    @Test("the target's output comes back")
    func value() async throws {
        #expect(try await WorkerProcess.run(ReturnsText(text: "swift")) == "SWIFT")
        try await WorkerProcess.run(NoOutput())
    }

    @Test("a target that throws exits with status 1 and its error arrives")
    func throwingTarget() async throws {
        let process = try WorkerProcess(target: ThrowsTarget())
        try await process.start()
        #expect(try await process.join() == .exited(1))
        do {
            _ = try await process.value
            Issue.record("should have thrown")
        } catch let failure as JobFailure {
            #expect(failure.reason == .threw(errorType: "MultiprocessingTests.TestJobError", message: "rejected -1"))
            #expect(failure.jobType == "MultiprocessingTests.ThrowsTarget")
        }
    }

    @Test("terminate and kill stop a running process")
    func terminateAndKill() async throws {
        let first = try WorkerProcess(target: SleepTarget(milliseconds: 30_000))
        try await first.start()
        first.terminate()
        #expect(try await first.join() == .signaled(SIGTERM))
        #expect(first.exitStatus?.code == -SIGTERM)

        let second = try WorkerProcess(target: SleepTarget(milliseconds: 30_000))
        try await second.start()
        #expect(try await second.join(timeout: .milliseconds(100)) == nil)
        second.kill()
        #expect(try await second.join() == .signaled(SIGKILL))
        do {
            try await second.value
            Issue.record("should have thrown")
        } catch let failure as JobFailure {
            #expect(failure.reason == .crashed(.signaled(SIGKILL)))
        }
    }

    @Test("exit(3) inside a target is its exit status")
    func exitInside() async throws {
        let process = try WorkerProcess(target: ExitTarget(status: 3))
        try await process.start()
        #expect(try await process.join() == .exited(3))
        #expect(process.exitStatus?.description == "exited with status 3")
    }
}
