/// One page to fetch: what the coordinator hands the pool.
public struct PageRequest: Codable, Sendable {
    /// The request's position in the stream of requests: it names the request in the result and
    /// equals a failure's ``JobFailure/index`` (a crashed worker returns no result to carry it).
    public var ticket: Int
    public var url: CrawlURL
}

/// What a worker found at a URL: the coordinator decides what to do with it.
public struct PageResult: Codable, Sendable {
    public enum Response: Codable, Sendable, Equatable {
        /// The server answered with this status.
        case status(Int)
        /// No answer within the HTTP client's timeout.
        case timedOut
        /// The connection failed (refused, reset, closed early).
        case networkError(String)
    }

    public var ticket: Int
    public var response: Response
    /// The size of the body read.
    public var bytes: Int
    /// The page's links (for a 200 HTML page), resolved and normalised, each once, in order.
    public var links: [CrawlURL]
    /// Links with a scheme the crawler does not fetch (`mailto:`, `javascript:`).
    public var unsupportedLinks: Int
    /// Links that are not URLs (a bad port, a broken host).
    public var invalidLinks: Int
    public var fetchMicroseconds: Int
    public var parseMicroseconds: Int
}
