#if Dashboard
import Hummingbird
import Logging
import MultiprocessingPostgres

/// `mp-postgres dashboard`: a web page that shows a distributed pool's queues live, its JSON
/// endpoints and the Prometheus text, and the actions (cancel a job, retry a dead task, drain a
/// host) behind a token. The endpoints are listed in the README ("The dashboard").
public enum Dashboard {
    /// Serves until SIGTERM or SIGINT. `onListening` gets the URL the server listens on, once it does.
    public static func run(_ options: DashboardOptions, logger: Logger = Logger(label: "mp-postgres.dashboard"),
                           onListening: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        let redactor = try Redactor(url: options.url)
        let sampler = DashboardSampler(options: options, redactor: redactor, logger: logger)
        let routes = DashboardRoutes(sampler: sampler, policy: options.actionPolicy, redactor: redactor)
        var serverLogger = logger
        // Hummingbird logs each request at info level: a page polled every second would fill the log.
        serverLogger.logLevel = max(logger.logLevel, .warning)
        let host = options.bindAddress
        let app = Application(
            router: routes.router(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: options.port), serverName: nil),
            onServerRunning: { channel in
                let shown = host.contains(":") ? "[\(host)]" : host
                onListening("http://\(shown):\(channel.localAddress?.port ?? options.port)/")
            },
            logger: serverLogger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await sampler.run() }
            group.addTask { try await app.runService() }
            // The server returns on SIGTERM or SIGINT; the sampler then stops.
            _ = try await group.next()
            group.cancelAll()
        }
    }
}
#endif  // Dashboard
