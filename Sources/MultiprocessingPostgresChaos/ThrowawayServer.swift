#if Postgres
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL server in a folder of its own, made by
/// `Benchmarks/postgres/throwaway-server.sh` (initdb + pg_ctl, loopback and the network
/// namespaces' addresses, password authentication, durability off), and the faults a fleet's
/// database suffers: a fast stop, a crash of the postmaster (SIGKILL), a start again on the
/// same port with the same settings.
public struct ThrowawayServer: Sendable {
    /// Its connection URL (with the password).
    public let url: String
    /// Its folder: the cluster, the logs, the server's binaries' path.
    public let directory: String

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The script in this package's checkout (where the package was built from).
    public static let defaultScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Benchmarks/postgres/throwaway-server.sh").path

    /// A server already started in `directory` (to control it).
    public init(url: String, directory: String) {
        self.url = url
        self.directory = directory
    }

    /// Makes and starts a server in `directory` (emptied first; the postgres user must reach it
    /// when this runs as root, so keep it under /tmp).
    public static func start(script: String = defaultScript, directory: String) throws -> ThrowawayServer {
        let (status, output) = SpawnedProgram.run([script, "start", directory])
        guard status == 0, let url = output.split(separator: "\n").last.map(String.init), url.hasPrefix("postgres://") else {
            throw Failure(description: "\(script) failed (wait status \(status)): \(output)")
        }
        return ThrowawayServer(url: url, directory: directory)
    }

    /// Stops the server for good and removes its folder.
    public func remove(script: String = defaultScript) {
        _ = SpawnedProgram.run([script, "stop", directory])
    }

    private func pgCtl(_ arguments: [String]) throws {
        let bin = try String(contentsOfFile: directory + "/bin", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let asServerUser = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        let (status, output) = SpawnedProgram.run(asServerUser + [bin + "/pg_ctl", "-D", directory + "/cluster"] + arguments)
        guard status == 0 else { throw Failure(description: "pg_ctl \(arguments.joined(separator: " ")): \(output)") }
    }

    /// Stops the server (fast: open connections are dropped).
    public func stop() throws {
        try pgCtl(["-m", "fast", "-w", "stop"])
    }

    /// Starts a stopped or killed server again (pg_ctl restart reuses the port and settings it
    /// had). After a kill, the old server's backends may still hold its shared memory for a
    /// moment, which makes a start fail: it is tried again for up to 30 s.
    public func startAgain() throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                try pgCtl(["-l", directory + "/server.log", "-m", "fast", "-w", "restart"])
                return
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                usleep(200_000)
            }
        }
    }

    /// Stops the server (fast), keeps it down for `down`, and starts it again.
    public func restart(down: Duration) async throws {
        try stop()
        try await Task.sleep(for: down)
        try startAgain()
    }

    /// The postmaster's pid (the first line of its pid file), nil when it is not running.
    public var postmasterPID: pid_t? {
        guard let text = try? String(contentsOfFile: directory + "/cluster/postmaster.pid", encoding: .utf8),
              let first = text.split(separator: "\n").first, let pid = pid_t(first), kill(pid, 0) == 0 else { return nil }
        return pid
    }

    /// Kills the postmaster with SIGKILL, as a crash or the OOM killer would: its backends
    /// notice and exit; no shutdown checkpoint is written (the next start recovers).
    public func killPostmaster() throws {
        guard let pid = postmasterPID else { throw Failure(description: "the server is not running") }
        kill(pid, SIGKILL)
        // Wait until it is gone (it is not our child: it cannot be reaped here).
        let deadline = ContinuousClock.now + .seconds(10)
        while kill(pid, 0) == 0 && ContinuousClock.now < deadline { usleep(10_000) }
    }
}
#endif  // Postgres
