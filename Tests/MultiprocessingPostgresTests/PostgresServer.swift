import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL server for the tests, started once by the first test that needs it
/// with `Benchmarks/postgres/throwaway-server.sh` (initdb + pg_ctl into a temporary folder,
/// loopback, password authentication) and stopped when the test process exits. What it found,
/// or why it could not start one, is printed to stderr.
actor PostgresServer {
    static let shared = PostgresServer()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private var started: Result<Server, Failure>?

    struct Server: Sendable {
        let url: String
    }

    func start() throws -> Server {
        if let started { return try started.get() }
        let result = launch()
        started = result
        switch result {
        case .success: log("PostgreSQL tests: throwaway server started (\(Self.script) start \(Self.directory))")
        case let .failure(failure): log("PostgreSQL tests: no server: \(failure)")
        }
        return try result.get()
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Benchmarks/postgres/throwaway-server.sh").path
    static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mp-pg-tests-\(getpid())").path

    private func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private func launch() -> Result<Server, Failure> {
        let (status, output) = Self.run([Self.script, "start", Self.directory])
        guard status == 0, let url = output.split(separator: "\n").last.map(String.init), url.hasPrefix("postgres://") else {
            return .failure(Failure(description: "\(Self.script) failed (wait status \(status)): \(output)"))
        }
        atexit { _ = PostgresServer.run([PostgresServer.script, "stop", PostgresServer.directory]) }
        return .success(Server(url: url))
    }

    /// Stops the server (fast: open connections are dropped), keeps it down for `down`, and
    /// starts it again on the same port with the same settings.
    static func restart(down: Duration) async throws {
        try stop()
        try await Task.sleep(for: down)
        try startAgain()
    }

    private static func pgCtl(_ arguments: [String]) throws {
        let bin = try String(contentsOfFile: directory + "/bin", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let asServerUser = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        let (status, output) = run(asServerUser + [bin + "/pg_ctl", "-D", directory + "/cluster"] + arguments)
        guard status == 0 else { throw Failure(description: "pg_ctl \(arguments.joined(separator: " ")): \(output)") }
    }

    /// Stops the server (fast: open connections are dropped).
    static func stop() throws {
        try pgCtl(["-m", "fast", "-w", "stop"])
    }

    /// Starts a stopped server again (pg_ctl restart reuses the port and settings it had).
    static func startAgain() throws {
        try pgCtl(["-l", directory + "/server.log", "-m", "fast", "-w", "restart"])
    }

    /// Runs a command to its end; its stdout and stderr together. (posix_spawn and waitpid:
    /// Foundation's Process can miss a child's exit in a process whose pools reap children.)
    static func run(_ argv: [String]) -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mp-pg-tool-\(getpid()).log").path
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
