import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to its end and returns its standard output; its standard error is ours.
///
/// Not Foundation's `Process`: a child must not inherit this program's signal state. Swift's
/// threads block most signals, and `withInterruptCancellation` ignores SIGINT and SIGTERM; both
/// survive `exec`, so a child spawned as they are could not be stopped. Here the child starts
/// with no signal blocked and the default actions, in a process group of its own (Ctrl-C at
/// the terminal reaches only us; we decide), and cancelling stops the whole group.
enum CapturedProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ arguments: [String]) async throws -> [UInt8] {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        // Close-on-exec (Glibc's module does not offer pipe2): only the child's dup2'ed copy
        // of the write end is inherited.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let pid: pid_t
        do {
            pid = try spawn(arguments, standardOutput: pipeEnds[1])
        } catch {
            close(pipeEnds[0])
            close(pipeEnds[1])
            throw error
        }
        close(pipeEnds[1])
        let reading = pipeEnds[0]
        do {
            return try await wait(pid, reading: reading, arguments)
        } catch {
            // Stopped because we were cancelled: say so, not how the child died of it.
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    private static func wait(_ pid: pid_t, reading: Int32, _ arguments: [String]) async throws -> [UInt8] {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8], any Error>) in
                // Blocking reads and the wait on a thread of their own, not the cooperative pool.
                Thread.detachNewThread {
                    let output = readToEnd(reading)
                    close(reading)
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    let exited = status & 0x7F == 0
                    if exited && (status >> 8) & 0xFF == 0 {
                        continuation.resume(returning: output)
                    } else {
                        let how = exited ? "exited with status \((status >> 8) & 0xFF)" : "was killed by signal \(status & 0x7F)"
                        continuation.resume(throwing: Failure(description: "\(arguments[0]) \(how)"))
                    }
                }
            }
        } onCancel: {
            kill(-pid, SIGTERM)
        }
    }

    private static func spawn(_ arguments: [String], standardOutput: Int32) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var reset = sigset_t()
        sigemptyset(&reset)
        for number in [SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGHUP] { sigaddset(&reset, number) }
        posix_spawnattr_setsigdefault(&attributes, &reset)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)

        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStringArray(arguments) { argv in
            withCStringArray(environment) { envp in
                posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
            }
        }
        guard result == 0 else { throw Failure(description: "cannot start \(arguments[0]): \(String(cString: strerror(result)))") }
        return pid
    }

    private static func readToEnd(_ descriptor: Int32) -> [UInt8] {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return output }
            output.append(contentsOf: buffer[0..<count])
        }
    }

    /// A NULL-terminated array of C strings, alive during `body`.
    private static func withCStringArray<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        return body(pointers + [nil])
    }
}
