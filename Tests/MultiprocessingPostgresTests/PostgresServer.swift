#if Postgres
import Foundation
import MultiprocessingPostgresChaos
#if canImport(Glibc)
import Glibc
#endif

/// The throwaway PostgreSQL server of the tests (the fault runner's ``ThrowawayServer``),
/// started once by the first test that needs it and stopped when the test process exits. What
/// it found, or why it could not start one, is printed to stderr.
actor PostgresServer {
    static let shared = PostgresServer()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private var started: Result<Server, Failure>?

    struct Server: Sendable {
        let url: String
        /// The server itself, to stop, kill and start (the fault runner needs it).
        let control: ThrowawayServer
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

    static let script = ThrowawayServer.defaultScript
    static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mp-pg-tests-\(getpid())").path
    /// The server in ``directory`` (its URL is not needed to stop and start it).
    private static let control = ThrowawayServer(url: "", directory: directory)

    private func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private func launch() -> Result<Server, Failure> {
        do {
            let server = try ThrowawayServer.start(script: Self.script, directory: Self.directory)
            atexit { PostgresServer.control.remove(script: PostgresServer.script) }
            return .success(Server(url: server.url, control: server))
        } catch {
            return .failure(Failure(description: "\(error)"))
        }
    }

    /// Stops the server (fast: open connections are dropped), keeps it down for `down`, and
    /// starts it again on the same port with the same settings.
    static func restart(down: Duration) async throws {
        try await control.restart(down: down)
    }

    /// Stops the server (fast: open connections are dropped).
    static func stop() throws {
        try control.stop()
    }

    /// Starts a stopped server again (pg_ctl restart reuses the port and settings it had).
    static func startAgain() throws {
        try control.startAgain()
    }
}
#endif  // Postgres
