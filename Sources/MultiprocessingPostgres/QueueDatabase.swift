#if Postgres
import Logging
import PostgresNIO

/// A running PostgreSQL client: the connection pool that every query of a submitter or a
/// worker host goes through.
final class QueueDatabase: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// The server, as errors may name it (no password).
    let endpoint: String
    private let runner: Task<Void, Never>

    init(settings: PostgresConnectionSettings, logger: Logger) {
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        endpoint = "the database at \(settings)"
        let started = OnceFlag()
        runner = Task {
            started.set()
            await client.run()
        }
        self.started = started
    }

    private let started: OnceFlag

    /// Waits until the client runs (a query before that waits too, with a warning in the log).
    func waitUntilRunning() async {
        while !started.isSet { await Task.yield() }
        try? await Task.sleep(for: .milliseconds(1))
    }

    /// Closes every connection.
    func shutdown() {
        runner.cancel()
    }

    deinit {
        runner.cancel()
    }

    @discardableResult
    func execute(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await client.query(query, logger: logger)
    }

    /// Runs `consume` on every notification of `channel` until the task is cancelled; a lost
    /// connection is opened again after a pause (callers poll too, so nothing waits forever).
    func listen(_ channel: String, _ consume: @escaping @Sendable (String) -> Void) -> Task<Void, Never> {
        Task { [client, logger] in
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: channel) { notifications in
                            for try await notification in notifications { consume(notification.payload) }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("listening on \(channel) failed; listening again in 1 s", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
#endif  // Postgres
