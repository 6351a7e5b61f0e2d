import AsyncHTTPClient
import Multiprocessing

/// The pool's initializer: each worker makes one `HTTPClient` before its first page and keeps it
/// in ``WorkerState``, so that its connections to each host are reused from page to page (keep-
/// alive) instead of opened per page.
///
/// The client is never shut down: a worker has no "before exit" hook, and it needs none, since
/// the client's connections and event-loop threads belong to the worker process and end with it
/// (the pool ends its workers when it closes). `HTTPClient` asserts on being deinitialised
/// without `shutdown()`, which cannot happen here: the state outlives every job.
public struct StartHTTPClient: ProcessTarget {
    /// How long a connection may take to open, in milliseconds.
    public var connectTimeoutMilliseconds: Int

    public init(connectTimeoutMilliseconds: Int = 1_000) {
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
    }

    public func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(connectTimeoutMilliseconds)))
        // A crawler reports redirects as what they are instead of following them behind the frontier's back.
        configuration.redirectConfiguration = .disallow
        configuration.httpVersion = .http1Only
        WorkerState.set(WorkerHTTPClient(client: HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                                               configuration: configuration)))
    }
}

/// The worker's HTTP client, as kept in ``WorkerState`` (keyed by this type).
struct WorkerHTTPClient: Sendable {
    let client: HTTPClient
}
