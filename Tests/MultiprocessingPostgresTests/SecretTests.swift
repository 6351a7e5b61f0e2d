#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a job's process can read of its worker host: its pid and its environment as /proc
/// shows it to every process of the user, and the job's own environment.
struct PGEnvironments: Codable, Sendable {
    var hostPID: Int32
    var hostEnvironment: String
    var ownEnvironment: String
}

struct PGReadEnvironments: Job {
    func run(_ x: Int) async throws -> PGEnvironments {
        func read(_ path: String) -> String {
            let bytes = (FileManager.default.contents(atPath: path).map { [UInt8]($0) }) ?? []
            return String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: "\n") : $0 }, as: UTF8.self)
        }
        let host = getppid()
        return PGEnvironments(hostPID: host, hostEnvironment: read("/proc/\(host)/environ"),
                              ownEnvironment: read("/proc/self/environ"))
    }
}

extension DistributedPoolTests {
    @Test(arguments: ["MULTIPROCESSING_POSTGRES_URL", "MULTIPROCESSING_POSTGRES_URL_FILE"])
    func aJobCannotReadTheDatabasePasswordFromItsHost(_ variable: String) async throws {
        let server = try await PostgresServer.shared.start()
        let password = try #require(try PostgresConnectionSettings(url: server.url).password)
        let queue = uniqueQueue("secret")
        var environment = [
            "MULTIPROCESSING_POSTGRES_WORKER": queue,
            "MULTIPROCESSING_POSTGRES_PROCESSES": "1",
            "MULTIPROCESSING_POSTGRES_URL": server.url,
        ]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mp-pg-url-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        if variable == "MULTIPROCESSING_POSTGRES_URL_FILE" {
            try Data((server.url + "\n").utf8).write(to: URL(fileURLWithPath: file))
            environment["MULTIPROCESSING_POSTGRES_URL"] = nil
            environment[variable] = file
        }
        let host = try ChildProgram(ChildProgram.testExecutable, environment: environment)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }

        // A hang guard: a host that cannot start would leave the call waiting.
        let seen = try await withHangGuard(.seconds(60), "a job on the host") {
            try await pool.apply(PGReadEnvironments(), 0)
        }
        // The job read its own host's environment...
        #expect(seen.hostPID == host.pid)
        #expect(seen.hostEnvironment.contains("MULTIPROCESSING_POSTGRES_WORKER=\(queue)\n"))
        // ...and found no password there, nor in its own.
        #expect(!seen.hostEnvironment.contains(password))
        #expect(!seen.ownEnvironment.contains(password))
        #expect(!host.log.contains(password))
    }
}
#endif  // Postgres
