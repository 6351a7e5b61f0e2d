import Foundation
import Testing
@testable import Multiprocessing

/// What happens to workers when the program that owns them dies, and what many pools leave behind.
/// These start programs of the package (built next to the test runner) in processes of their own.
@Suite("Process lifetime")
struct ProcessLifetimeTests {
    @Test("killing the parent with SIGKILL leaves no worker alive a second later")
    func parentKilled() async throws {
        let helper = try TestProgram("MPTestHelper", arguments: ["hold-pool", "3"])
        let lines = await helper.readLines(until: "ready")
        let workers = lines.compactMap { $0.hasPrefix("worker ") ? Int32($0.dropFirst(7)) : nil }
        #expect(workers.count == 3)
        #expect(workers.allSatisfy(isAlive))
        kill(helper.pid, SIGKILL)
        #expect(await helper.waitForExit() == .signaled(SIGKILL))
        #expect(await eventually(timeout: .seconds(1)) { !workers.contains(where: isAlive) },
                "workers alive 1 s after their parent was killed: \(workers.filter(isAlive))")
    }

    @Test("Ctrl-C (SIGINT) ends an example program at once, leaving no process behind")
    func sigintEndsExample() async throws {
        let example = try TestProgram("examples", arguments: ["imap-unordered"])
        var workers: [Int32] = []
        #expect(await eventually(timeout: .seconds(10)) {
            workers = childPIDs(of: example.pid)
            return workers.count >= ProcessPool.availableCPUs
        })
        try await Task.sleep(for: .milliseconds(300))
        kill(example.pid, SIGINT)
        // The example takes 5 s when not interrupted; it must end well before.
        let status = await example.waitForExit(timeout: .seconds(4))
        #expect(status == .exited(130), "the example ended with \(String(describing: status))")
        #expect(await eventually(timeout: .seconds(1)) { !workers.contains(where: isAlive) },
                "workers left behind: \(workers.filter(isAlive))")
    }

    @Test("programs started inside withInterruptCancellation keep Ctrl-C's default action")
    func interruptCatchingIsNotInherited() async throws {
        let status = try await withInterruptCancellation { () -> ProcessExitStatus? in
            // A shell that sends itself SIGINT: with the default action it dies of it at once. The
            // signal mask is cleared (this thread, a Dispatch one, blocks signals): only the
            // disposition, which is what withInterruptCancellation sets, is inherited.
            var pid: pid_t = 0
            let words: [String] = ["/bin/sh", "-c", "kill -INT $$; sleep 5"]
            let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var none = sigset_t()
            sigemptyset(&none)
            posix_spawnattr_setsigmask(&attributes, &none)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
            guard posix_spawn(&pid, "/bin/sh", nil, &attributes, argv, environ) == 0 else { return nil }
            for _ in 0..<300 {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid { return ProcessExitStatus(waitStatus: raw) }
                try await Task.sleep(for: .milliseconds(10))
            }
            kill(pid, SIGKILL)
            return nil
        }
        #expect(status == .signaled(SIGINT))
    }

    @Test("1,000 pools created, used and closed leave no descriptor and no zombie behind")
    func thousandCycles() async throws {
        let helper = try TestProgram("MPTestHelper", arguments: ["cycles", "1000"])
        let lines = await helper.readLines(until: "descriptors-before", timeout: .seconds(300))
        #expect(await helper.waitForExit() == .exited(0))
        let fields = try #require(lines.last).split(separator: " ")
        let values = Dictionary(uniqueKeysWithValues: stride(from: 0, to: fields.count - 1, by: 2).map {
            (String(fields[$0]), Int(fields[$0 + 1]) ?? -1)
        })
        #expect(values["descriptors-before"] == values["descriptors-after"], "\(lines.last ?? "")")
        #expect(values["zombies"] == 0)
        #expect(values["children"] == 0)
    }
}

/// A program of the package started by a test, its stdout piped to the test. Started and
/// reaped with posix_spawn and waitpid directly, so that its exit status is exact.
final class TestProgram: @unchecked Sendable {
    // @unchecked: `status` is written once by `exitStatus()`, which tests call from one task.
    let pid: pid_t
    private let output: Int32
    private var status: ProcessExitStatus?

    init(_ name: String, arguments: [String]) throws {
        let directory = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent()
        let path = directory.appendingPathComponent(name).path
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_addclose(&actions, ends[0])
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Whatever this test runner ignores, the program starts with default signal actions.
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, path, &actions, &attributes, argv, environ)
        close(ends[1])
        guard result == 0 else {
            close(ends[0])
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .ENOENT)
        }
        pid = child
        output = ends[0]
    }

    deinit {
        close(output)
        if status == nil { kill(pid, SIGKILL); waitpid(pid, nil, 0) }
    }

    /// How it ended, once it has (nil while it runs).
    func exitStatus() -> ProcessExitStatus? {
        if let status { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
        status = raw & 0x7F == 0 ? .exited((raw >> 8) & 0xFF) : .signaled(raw & 0x7F)
        return status
    }

    /// Waits for it to end, without blocking a Swift concurrency thread.
    func waitForExit(timeout: Duration = .seconds(30)) async -> ProcessExitStatus? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus() { return status }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return exitStatus()
    }

    /// Lines it printed, up to and including the first that starts with `marker` (or all, if it
    /// ends first). The blocking reads run on a thread of their own.
    func readLines(until marker: String, timeout: Duration = .seconds(30)) async -> [String] {
        let output = output
        let timer = Task { [pid] in
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var lines: [String] = []
                var pending: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                reading: while true {
                    let count = read(output, &buffer, buffer.count)
                    if count <= 0 { break }
                    pending.append(contentsOf: buffer[0..<count])
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: pending[..<newline], as: UTF8.self)
                        pending.removeSubrange(...newline)
                        lines.append(line)
                        if line.hasPrefix(marker) { break reading }
                    }
                }
                continuation.resume(returning: lines)
            }
        }
    }
}

func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(after: close)...].hasPrefix(" Z")
}

/// Live children of `parent`, from /proc.
func childPIDs(of parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 && Int32(fields[1]) == parent && fields[0] != "Z"
    }
}
