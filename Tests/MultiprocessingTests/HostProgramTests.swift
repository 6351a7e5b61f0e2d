import Foundation
import Synchronization
import Testing
@testable import Multiprocessing

/// Pools and processes in a program that does its own thing with children and signals. Each
/// test starts MPHostHelper, which makes itself that program and then uses pools as any program
/// would, saying each step; a step that hangs is caught by the read's timeout (a hang guard).
@Suite("Host program")
struct HostProgramTests {
    /// The steps of MPHostHelper's ordinary use, in order.
    static let ordinarySteps = ["map ok", "crash ok", "timeout ok", "pool closed", "process ok", "kill ok"]

    private func runOrdinaryUse(_ mode: String) async throws -> [String] {
        let helper = try TestProgram("MPHostHelper", arguments: [mode])
        let lines = await helper.readLines(until: "kill ok", timeout: .seconds(90))
        let status = await helper.waitForExit(timeout: .seconds(30))
        let steps = lines.compactMap { line in Self.ordinarySteps.first { line.hasPrefix($0) } }
        #expect(steps == Self.ordinarySteps, "the helper said \(lines)")
        #expect(status == .exited(0), "the helper said \(lines) and ended with \(String(describing: status))")
        return lines
    }

    @Test("a program that ignores SIGCHLD keeps working pools and processes; exits are of unknown status")
    func sigchldIgnored() async throws {
        let lines = try await runOrdinaryUse("ignore-sigchld")
        // With SIGCHLD ignored the kernel discards every child's status: the crash is reported, as unknown.
        #expect(lines.contains("crash ok \(ProcessExitStatus.unknown)"), "\(lines)")
    }

    @Test("a program whose own thread reaps every child (waitpid(-1)) keeps working pools and processes")
    func foreignReaper() async throws {
        _ = try await runOrdinaryUse("foreign-reaper")
    }

    @Test("a program that ignores SIGINT and SIGTERM keeps working pools and processes (workers start with default actions)")
    func interruptsIgnored() async throws {
        _ = try await runOrdinaryUse("ignore-interrupts")
    }

    @Test("withInterruptCancellation puts back the program's own signal actions, keeps its handler, and nests")
    func signalDispositionsRestored() async throws {
        let helper = try TestProgram("MPHostHelper", arguments: ["signal-dispositions"])
        let lines = await helper.readLines(until: "done", timeout: .seconds(60))
        let status = await helper.waitForExit(timeout: .seconds(30))
        #expect(status == .exited(0), "the helper said \(lines) and ended with \(String(describing: status))")
        #expect(lines == ["inner returned", "handler saw SIGUSR1", "outer cancelled", "dispositions restored",
                          "handler saw SIGUSR1", "done"])
    }

    @Test("an unknown exit status says why it is unknown")
    func unknownStatusText() {
        #expect(ProcessExitStatus.unknown.description.contains("SIGCHLD"))
        #expect(ProcessExitStatus.unknown.signalName == nil)
        #expect(!ProcessExitStatus.unknown.isSuccess)
    }
}

/// The reactor thread never waits on the program's standard error or on a progress closure.
@Suite("Supervisor never blocks")
struct SupervisorNeverBlocksTests {
    @Test("a standard error nobody reads stalls no timeout; what could not be written is dropped and counted")
    func stderrFull() async throws {
        let helper = try TestProgram("MPHostHelper", arguments: ["stderr-full"])
        let lines = await helper.readLines(until: "done", timeout: .seconds(90))
        let status = await helper.waitForExit(timeout: .seconds(30))
        #expect(status == .exited(0), "the helper said \(lines) and ended with \(String(describing: status))")
        #expect(lines.first == "full ok", "\(lines)")
        let note = try #require(lines.first { $0.hasPrefix("note ") })
        #expect(note.contains("[swift-multiprocessing: ") && note.contains(" bytes of workers' standard error dropped"),
                "\(note)")
        #expect(lines.last == "done")
    }

    @Test("a standard error whose reader is gone does not kill the program (no SIGPIPE from the library's writes)")
    func stderrClosed() async throws {
        let helper = try TestProgram("MPHostHelper", arguments: ["stderr-closed"])
        let lines = await helper.readLines(until: "done", timeout: .seconds(90))
        let status = await helper.waitForExit(timeout: .seconds(30))
        #expect(status == .exited(0), "the helper said \(lines) and ended with \(String(describing: status))")
        #expect(lines == ["closed ok", "done"])
    }

    @Test("workers that write to standard error without end keep no one from their timeouts")
    func stderrFlood() async throws {
        let helper = try TestProgram("MPHostHelper", arguments: ["stderr-flood"])
        let lines = await helper.readLines(until: "done", timeout: .seconds(90))
        let status = await helper.waitForExit(timeout: .seconds(30))
        #expect(status == .exited(0), "the helper said \(lines) and ended with \(String(describing: status))")
        #expect(lines == ["flood ok", "done"])
    }

    @Test("a log handler that blocks for good holds up no pool: the library's messages reach it off the reactor thread")
    func blockingLogHandler() async throws {
        let helper = try TestProgram("MPHostHelper", arguments: ["blocking-log-handler"])
        let lines = await helper.readLines(until: "progress", timeout: .seconds(90))
        let steps = lines.compactMap { line in HostProgramTests.ordinarySteps.first { line.hasPrefix($0) } }
        #expect(steps == HostProgramTests.ordinarySteps, "the helper said \(lines)")
        #expect(lines.last == "progress 1", "the final progress snapshot was not drawn: \(lines)")
    }

    @Test("a .custom progress closure runs off the reactor thread; one that blocks holds up no map and no timeout")
    func progressClosureOffReactor() async throws {
        let gate = Gate()
        let calls = ProgressCalls()
        let reporter = ProgressReporter(total: 9, label: "blocked", output: .custom(interval: .zero) { _ in
            calls.note(onReactor: Reactor.shared.isInLoop)
            // Blocks until the map is over: on the reactor thread this would stop every pool.
            gate.wait()
        })
        let outcome = try await withProcessPool(workers: 2) { pool in
            try await withHangGuard(.seconds(60), onHang: { gate.open() }) {
                try await pool.mapResults(Sleepy(milliseconds: [8: 60_000]), Array(0..<9), chunkSize: 1,
                                          timeout: .milliseconds(500), retries: 0, progress: reporter)
            }
        }
        gate.open()
        reporter.finish()
        let results = try #require(outcome, "the map did not end while the progress closure was blocked")
        #expect(results.prefix(8).enumerated().allSatisfy { (try? $0.element.get()) == $0.offset })
        guard case .failure(let failure) = results[8], case .timedOut = failure.reason else {
            Issue.record("the last item should have timed out: \(results[8])")
            return
        }
        #expect(calls.count >= 2)
        #expect(calls.onReactor == 0, "\(calls.onReactor) of \(calls.count) progress calls ran on the reactor thread")
    }
}

/// Runs `body`; nil if it has not finished after `limit` (`onHang` is then called, to let it
/// end, and it is cancelled).
private func withHangGuard<T: Sendable>(_ limit: Duration, onHang: @escaping @Sendable () -> Void,
                                        _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            onHang()
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

/// A door a thread waits at until it is opened (for good).
private final class Gate: Sendable {
    private let isOpen = Mutex(false)
    func open() { isOpen.withLock { $0 = true } }
    func wait() {
        while !isOpen.withLock({ $0 }) { usleep(10_000) }
    }
}

private final class ProgressCalls: Sendable {
    private let counts = Mutex((all: 0, onReactor: 0))
    func note(onReactor: Bool) { counts.withLock { $0.all += 1; if onReactor { $0.onReactor += 1 } } }
    var count: Int { counts.withLock { $0.all } }
    var onReactor: Int { counts.withLock { $0.onReactor } }
}
