#if Dashboard
import ArgumentParser
import Foundation
import MultiprocessingPostgres

@main
struct MPPostgres: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mp-postgres",
        abstract: "Inspect and maintain a distributed pool's PostgreSQL queue; serve its dashboard; run its fault-injection suite.",
        discussion: """
            The connection URL comes from --url or, better (it keeps the password out of the process \
            list), from MULTIPROCESSING_POSTGRES_URL. Worker hosts are not started by this tool: they \
            are your own executable started with MULTIPROCESSING_POSTGRES_WORKER=<queue>.
            """,
        subcommands: [Status.self, Migrate.self, Cleanup.self, Chaos.self, DashboardCommand.self]
    )
}

struct Connection: ParsableArguments {
    @Option(help: "The database's URL (default: $MULTIPROCESSING_POSTGRES_URL).")
    var url: String?

    @Option(help: "The queue's name.")
    var queue: String = "default"

    func pool() async throws -> DistributedProcessPool {
        guard let url = url ?? ProcessInfo.processInfo.environment["MULTIPROCESSING_POSTGRES_URL"] else {
            throw ValidationError("give --url or set MULTIPROCESSING_POSTGRES_URL")
        }
        return try await DistributedProcessPool(url: url, queue: queue)
    }
}

extension MPPostgres {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tasks by state (pending, running by host, done, failed, dead), hosts and duplicates.")
        @OptionGroup var connection: Connection
        @Flag(help: "Print the Prometheus text format instead, for a scraper.")
        var prometheus = false

        func run() async throws {
            let pool = try await connection.pool()
            defer { pool.close() }
            let status = try await pool.status()
            print(prometheus ? status.prometheusText : status.description, terminator: prometheus ? "" : "\n")
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or migrate the queue's tables.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let pool = try await connection.pool()
            pool.close()
            print("schema is current")
        }
    }

    struct Cleanup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove finished and cancelled jobs older than a number of hours.")
        @OptionGroup var connection: Connection
        @Option(help: "Age in hours.")
        var olderThanHours: Double = 168

        func run() async throws {
            let pool = try await connection.pool()
            defer { pool.close() }
            let removed = try await pool.removeFinishedJobs(olderThan: .seconds(olderThanHours * 3600))
            print("removed \(removed) jobs")
        }
    }
}
#endif  // Dashboard
