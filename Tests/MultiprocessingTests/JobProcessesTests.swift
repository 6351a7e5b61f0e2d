import Foundation
import Testing
@testable import Multiprocessing

/// Starts `sleep <seconds>` processes (the odd number of seconds marks them as this test's):
/// one plain, one that leaves the process group with setsid, one as the child of a shell, and a
/// daemon (a shell starts a setsid'd sleep and exits at once, so the sleep's parent is gone);
/// then sleeps (to be killed by a timeout) or exits with status 3.
struct StartsSleepers: Job {
    var seconds: String
    var exitAfterwards: Bool

    func run(_ x: Int) async throws -> Int {
        let plain = ["/bin/sleep", seconds]
        let ownSession = ["/usr/bin/setsid", "/bin/sleep", seconds]
        let underShell = ["/bin/sh", "-c", "/bin/sleep \(seconds); true"]
        let daemon = ["/bin/sh", "-c", "/usr/bin/setsid /bin/sleep \(seconds) & exit 0"]
        for words in [plain, ownSession, underShell, daemon] {
            let argv = words.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, words[0], nil, nil, argv, environ) == 0 else { throw POSIXError(.ENOENT) }
        }
        // The daemon's shell has exited: its sleep now has another parent.
        try await Task.sleep(for: .milliseconds(200))
        if exitAfterwards { exit(3) }
        try await Task.sleep(for: .seconds(60))
        return x
    }
}

@Suite("Processes a job starts")
struct JobProcessesTests {
    /// Processes running `sleep <seconds>`, from /proc.
    private func sleepers(_ seconds: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), isAlive(pid) else { return false }
            let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return words.first?.hasSuffix("sleep") == true && words.dropFirst().first == seconds
        }
    }

    private static func marker() -> String { "1000.\(UInt32.random(in: 100_000...999_999_999))" }

    @Test("a worker killed by a timeout takes the processes its job started with it, setsid'd ones and daemons included")
    func timeoutKillsJobProcesses() async throws {
        let seconds = Self.marker()
        try await withProcessPool(workers: 1) { pool in
            let results = try await pool.mapResults(StartsSleepers(seconds: seconds, exitAfterwards: false), [1],
                                                    timeout: .seconds(3), retries: 0)
            guard case .failure(let failure) = results[0], case .timedOut = failure.reason else {
                Issue.record("the job should have timed out: \(results[0])")
                return
            }
        }
        #expect(await eventually(timeout: .seconds(2)) { sleepers(seconds).isEmpty },
                "left behind: \(sleepers(seconds).map { (try? String(contentsOfFile: "/proc/\($0)/stat", encoding: .utf8)) ?? "" })")
        for pid in sleepers(seconds) { kill(pid, SIGKILL) }
    }

    @Test("a worker that exits by itself takes the processes its job started with it, setsid'd ones and daemons included")
    func exitKillsGroup() async throws {
        let seconds = Self.marker()
        try await withProcessPool(workers: 1) { pool in
            let results = try await pool.mapResults(StartsSleepers(seconds: seconds, exitAfterwards: true), [1], retries: 0)
            guard case .failure(let failure) = results[0], case .crashed(.exited(3)) = failure.reason else {
                Issue.record("the job should have crashed with status 3: \(results[0])")
                return
            }
        }
        #expect(await eventually(timeout: .seconds(2)) { sleepers(seconds).isEmpty },
                "left behind: \(sleepers(seconds).map { (try? String(contentsOfFile: "/proc/\($0)/stat", encoding: .utf8)) ?? "" })")
        for pid in sleepers(seconds) { kill(pid, SIGKILL) }
    }
}
