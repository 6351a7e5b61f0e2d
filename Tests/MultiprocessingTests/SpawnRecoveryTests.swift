import Foundation
import Testing
@testable import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Pools whose workers cannot be started: a shortage that passes is waited out, a cause that
/// does not breaks the pool at once (issue 11, point 7). The scenarios run in MPTestHelper, so
/// that this runner's descriptor limit and executable are left alone.
@Suite("Recoverable pools")
struct SpawnRecoveryTests {
    @Test("a pool out of descriptors does not break: its map waits, says why, and finishes once descriptors are free; a WorkerProcess throws")
    func outOfDescriptors() async throws {
        let helper = try TestProgram("MPTestHelper", arguments: ["spawn-out-of-descriptors"])
        let lines = await helper.readLines(until: "done", timeout: .seconds(120))
        #expect(await helper.waitForExit() == .exited(0), "\(lines)")
        let facts = Self.facts(lines)
        // The scenario did run out of descriptors, and the pool's spawns met the shortage.
        #expect(facts["errno-emfile"] == "true", "\(lines)")
        #expect(facts["during-started"] == "0", "\(lines)")
        #expect((Int(facts["during-transient"] ?? "") ?? 0) > 0, "\(lines)")
        #expect(facts["during-reason"]?.contains("EMFILE") == true, "\(lines)")
        // A WorkerProcess, started in the same shortage, throws a clear error at once.
        #expect(facts["process-start-failed"]?.contains("could not start a worker: socketpair: Too many open files (EMFILE)") == true,
                "\(lines)")
        // Meanwhile the map had neither failed nor finished; afterwards it finished, right.
        #expect(facts["during-finished"] == "false", "\(lines)")
        #expect(facts["map-failed"] == nil, "\(lines)")
        #expect(facts["results-correct"] == "true", "\(lines)")
        #expect(facts["after-reason"] == "none", "\(lines)")
        #expect((Int(facts["after-started"] ?? "") ?? 0) >= 2, "\(lines)")
    }

    @Test("a pool whose executable cannot be run breaks at once, its map failing with the cause")
    func unexecutable() async throws {
        // A copy of the helper, which makes itself not executable (EACCES, even for root).
        let directory = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent()
        let name = "MPTestHelper-unexecutable-\(getpid())"
        let copy = directory.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: directory.appendingPathComponent("MPTestHelper"), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        // A program this runner forks at the moment of the copy holds its written descriptor
        // for a moment (ETXTBSY): retried for a while.
        var started: TestProgram?
        for _ in 0..<100 where started == nil {
            do {
                started = try TestProgram(name, arguments: ["spawn-unexecutable"])
            } catch let error as POSIXError where error.code == .ETXTBSY {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let helper = try #require(started, "the copy of the helper stayed busy (ETXTBSY)")
        let lines = await helper.readLines(until: "done", timeout: .seconds(60))
        #expect(await helper.waitForExit() == .exited(0), "\(lines)")
        let failure = try #require(lines.first { $0.hasPrefix("start-failed ") }, "\(lines)")
        #expect(failure.contains("EACCES"), "\(failure)")
        #expect(failure.contains(name), "the message names the file: \(failure)")
        // Broken at the first try, without waiting out retries.
        #expect(lines.contains("transient 0 started 0"), "\(lines)")
    }

    @Test("spawning a missing executable fails with ENOENT, a cause that does not pass")
    func missingExecutable() throws {
        var launch = WorkerLaunchConfiguration()
        launch.executable = "/nonexistent/swift-multiprocessing-worker"
        do {
            let spawned = try WorkerSpawner.spawnClassified(launch)
            Issue.record("a worker was spawned from a missing file: pid \(spawned.pid)")
        } catch {
            #expect(error.code == ENOENT)
            #expect(!error.isTransient)
            #expect(error.description.contains("/nonexistent/swift-multiprocessing-worker"), "\(error)")
        }
    }

    @Test("the errnos of a shortage are transient; those of a bad executable are not")
    func classification() {
        for code in [EMFILE, ENFILE, EAGAIN, ENOMEM, ENOBUFS] {
            #expect(SpawnFailure(step: "socketpair", code: code).isTransient, "errno \(code)")
        }
        for code in [ENOENT, EACCES, ENOEXEC, EPERM] {
            #expect(!SpawnFailure(step: "posix_spawn", code: code).isTransient, "errno \(code)")
        }
    }

    /// "key value" lines, by key.
    static func facts(_ lines: [String]) -> [String: String] {
        var facts: [String: String] = [:]
        for line in lines {
            let words = line.split(separator: " ", maxSplits: 1)
            if words.count == 2 { facts[String(words[0])] = String(words[1]) }
            // "dummies N errno-emfile B" carries two facts.
            let pairs = line.split(separator: " ")
            if pairs.count == 4 { facts[String(pairs[2])] = String(pairs[3]) }
        }
        return facts
    }
}
