import Hummingbird

/// Serves a ``SiteModel`` on loopback with Hummingbird: one server per host, each on
/// `127.0.0.1` and a port the system picks, for as long as a body runs.
///
/// The servers run in the parent process only: the command (or test) that calls this starts
/// them, and worker processes never run that code (they enter their loop before `main`).
public enum TestSite {
    public static func withRunning<Result: Sendable>(
        _ model: SiteModel, _ body: (RunningSite) async throws -> Result
    ) async throws -> Result {
        let counters = SiteCounters(hosts: SiteModel.hostCount)
        let ports = PortBook(hosts: SiteModel.hostCount)
        let (listening, announce) = AsyncStream.makeStream(of: Swift.Result<(host: Int, port: Int), any Error>.self)
        return try await withThrowingTaskGroup(of: Void.self) { servers in
            for host in 0..<SiteModel.hostCount {
                var app = Application(
                    responder: SiteResponder(host: host, model: model, ports: ports, counters: counters),
                    configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: nil),
                    onServerRunning: { channel in announce.yield(.success((host, channel.localAddress?.port ?? 0))) }
                )
                // Quiet: the crawl prints its own report. And the servers are stopped by cancelling
                // their task, which HummingbirdCore logs as an error ("Waiting on child channel:
                // CancellationError()"); a graceful shutdown would need swift-service-lifecycle's
                // ServiceGroup, a package this one does not depend on directly.
                app.logger.logLevel = .critical
                servers.addTask { [app] in
                    do {
                        try await app.run()
                    } catch {
                        announce.yield(.failure(error))
                        throw error
                    }
                }
            }
            var waiting = SiteModel.hostCount
            for await event in listening {
                let (host, port) = try event.get()
                ports.set(port, forHost: host)
                waiting -= 1
                if waiting == 0 { break }
            }
            defer { servers.cancelAll() }
            return try await body(RunningSite(model: model, ports: ports.ports, counters: counters))
        }
    }
}

/// A test site that is being served.
public struct RunningSite: Sendable {
    public let model: SiteModel
    /// The port of each host.
    public let ports: [Int]
    public let counters: SiteCounters

    public var root: CrawlURL { CrawlURL(url(of: model.target(ofPage: 0)))! }

    /// The origins of the hosts, the root's first.
    public var origins: [String] { ports.map { "http://127.0.0.1:\($0)" } }

    /// A target's URL as the crawler writes it.
    public func url(of target: SiteModel.Target) -> String {
        origins[target.host] + target.path + (target.query.map { "?" + $0 } ?? "")
    }

    /// The target a crawled URL names, if it is on one of the site's hosts.
    public func target(of url: CrawlURL) -> SiteModel.Target? {
        guard let host = origins.firstIndex(of: url.origin) else { return nil }
        return SiteModel.Target(host: host, path: url.path, query: url.query)
    }
}
