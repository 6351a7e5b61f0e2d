#if Postgres
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A process started for a fault scenario or a test: a worker host (an executable of the
/// package started in host mode), or any other program. Its stdout is piped to the starter; its
/// stderr goes to a log file that a failing check can show. Killed (SIGKILL) and reaped on
/// deinit.
public final class SpawnedProgram: Sendable {
    /// Its process id (never signalled again once reaped: a reaped pid may be reused).
    public let pid: pid_t
    /// The file its stderr goes to (removed on deinit).
    public let logPath: String
    private let output: Int32
    /// Its wait status once reaped.
    private let waitStatus = Mutex<Int32?>(nil)

    /// The executable this process runs.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "/proc/self/exe"
    }

    /// An executable of the package, built beside this one.
    public static func packageExecutable(_ name: String) -> String {
        URL(fileURLWithPath: currentExecutable).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Starts `path` with `arguments`, this process's environment plus `extra`, every signal
    /// at its default disposition.
    public init(_ path: String, arguments: [String] = [], environment extra: [String: String]) throws {
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("mp-pg-child-\(UUID().uuidString).log").path
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_addclose(&actions, ends[0])
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        close(ends[1])
        guard result == 0 else {
            close(ends[0])
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .ENOENT)
        }
        pid = child
        output = ends[0]
    }

    /// The environment that makes an executable of the package a worker host of `queue`.
    public static func hostEnvironment(url: String, queue: String, processes: Int = 1, leaseSeconds: Double = 2,
                                       claimBatch: Int = 256) -> [String: String] {
        [
            "MULTIPROCESSING_POSTGRES_WORKER": queue,
            "MULTIPROCESSING_POSTGRES_URL": url,
            "MULTIPROCESSING_POSTGRES_PROCESSES": "\(processes)",
            "MULTIPROCESSING_POSTGRES_LEASE_SECONDS": "\(leaseSeconds)",
            "MULTIPROCESSING_POSTGRES_CLAIM_BATCH": "\(claimBatch)",
        ]
    }

    /// A worker host serving `queue`, with `processes` local workers and a short lease.
    public static func host(_ executable: String = currentExecutable, url: String, queue: String, processes: Int = 1,
                            leaseSeconds: Double = 2, claimBatch: Int = 256) throws -> SpawnedProgram {
        try SpawnedProgram(executable, environment: hostEnvironment(url: url, queue: queue, processes: processes,
                                                                    leaseSeconds: leaseSeconds, claimBatch: claimBatch))
    }

    deinit {
        close(output)
        stop()
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// Kills it (SIGKILL) and reaps it.
    public func stop() {
        waitStatus.withLock { status in
            guard status == nil else { return }
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            waitpid(pid, &raw, 0)
            status = raw
        }
    }

    /// Sends `signal` unless it has been reaped (its pid may belong to another process then).
    public func signal(_ signal: Int32) {
        waitStatus.withLock { status in
            if status == nil { kill(pid, signal) }
        }
    }

    /// Its exit status once it has exited of its own accord (nil if it was killed by a signal
    /// or is still running after `timeout`).
    public func exitCode(within timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let reaped = waitStatus.withLock { status -> Int32? in
                if let status { return status }
                var raw: Int32 = 0
                guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
                status = raw
                return raw
            }
            // WIFEXITED / WEXITSTATUS, which Swift does not import.
            if let reaped { return reaped & 0x7F == 0 ? (reaped >> 8) & 0xFF : nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Its stderr so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The first line it prints that starts with `prefix` (nil if it ends first or after `timeout`).
    public func line(startingWith prefix: String, timeout: Duration = .seconds(60)) async -> String? {
        let output = output
        let timer = Task { [pid] in
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var pending: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = read(output, &buffer, buffer.count)
                    if count <= 0 { break }
                    pending.append(contentsOf: buffer[0..<count])
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: pending[..<newline], as: UTF8.self)
                        pending.removeSubrange(...newline)
                        if line.hasPrefix(prefix) {
                            continuation.resume(returning: line)
                            return
                        }
                    }
                }
                continuation.resume(returning: nil)
            }
        }
    }

    /// Runs a command to its end; its stdout and stderr together. (posix_spawn and waitpid:
    /// Foundation's Process can miss a child's exit in a process whose pools reap children.)
    public static func run(_ argv: [String]) -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mp-pg-tool-\(getpid())-\(UUID().uuidString).log").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in arguments { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, argv[0], &actions, nil, arguments, environ)
        guard spawned == 0 else { return (-1, "cannot start \(argv[0]): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: log)
        return (status, output)
    }
}
#endif  // Postgres
