/// An absolute `http` or `https` URL in the crawler's canonical form, the key it de-duplicates on:
/// scheme and host in lower case, no default port, no fragment, no dot segments, a path that is
/// never empty, and characters that may not appear in a URL percent-encoded. Two links that name
/// the same resource this way (`HTTP://Host:80/a/./b#x` and `http://host/a/b`) become equal.
///
/// The crawler's own small parser rather than Foundation's `URL`: its rules are the few a crawler
/// needs (RFC 3986, section 5), written down here, the same on every platform, and tested.
public struct CrawlURL: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    /// nil for the scheme's default port.
    public let port: Int?
    /// Starts with `/`.
    public let path: String
    public let query: String?

    /// Parses an absolute URL; nil if it is not one this crawler can fetch.
    public init?(_ text: String) {
        guard case let .url(url) = CrawlURL.resolve(text, against: nil) else { return nil }
        self = url
    }

    init(scheme: String, host: String, port: Int?, path: String, query: String?) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
    }

    /// `scheme://host[:port]`: what the per-host limit and the same-host rule compare.
    public var origin: String {
        "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }

    public var description: String {
        origin + path + (query.map { "?" + $0 } ?? "")
    }

    public static func < (lhs: CrawlURL, rhs: CrawlURL) -> Bool {
        lhs.description < rhs.description
    }

    /// Resolves a link found on this page (an `href`, entities already decoded).
    public func resolve(_ reference: String) -> LinkResolution {
        CrawlURL.resolve(reference, against: self)
    }

    static let defaultPorts = ["http": 80, "https": 443]
}

/// What a link on a page turns out to be.
public enum LinkResolution: Sendable, Equatable {
    case url(CrawlURL)
    /// A scheme the crawler does not fetch: `mailto`, `javascript`, `ftp`, `data`, ...
    case unsupportedScheme(String)
    /// Not a URL: a bad host or port, or a relative link with nothing to resolve it against.
    case invalid
}
