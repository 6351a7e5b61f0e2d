/// The test site the crawler runs against: a deterministic link graph, generated from a seed, of
/// `pages` pages spread over two loopback hosts (two ports, so that the per-host limit has two
/// hosts to keep apart). It is built to meet every rule of the crawler:
///
/// - cycles: every page links to its parent and to the root, and to three pages at random;
/// - a pagination chain (`/list?page=1` ... `/list?page=20`) deeper than the depth limit;
/// - slow pages, pages that stall mid-answer (the timeout), pages that always answer 500, pages
///   that answer 503 the first one or two times (the retries), links to pages that do not exist (404);
/// - malformed HTML (see ``SiteHTML``), links to other hosts, `mailto:` and the like;
/// - one page whose HTML makes the crawler's parser trap (see ``HTMLEntities``).
///
/// The same model renders the pages (for the server) and predicts the crawl (``expectedCrawl``),
/// so a test can check that the crawler fetched exactly what it should have.
public struct SiteModel: Sendable {
    public struct Configuration: Sendable {
        /// Pages `/` and `/p/1` ... `/p/<pages - 1>`; the pagination chain comes on top.
        public var pages: Int
        public var seed: UInt64
        /// The length of the pagination chain `/list?page=k`.
        public var listPages: Int
        /// The delay of a slow page, in milliseconds (about 1% of the pages are slow).
        public var slowMilliseconds: ClosedRange<Int>
        /// How long a stalled page keeps its request open (unless the client leaves first).
        public var hangMilliseconds: Int

        public init(pages: Int = 2_000, seed: UInt64 = 6, listPages: Int = 20,
                    slowMilliseconds: ClosedRange<Int> = 200...1_500, hangMilliseconds: Int = 30_000) {
            precondition(pages >= 16, "the site's fixed special pages need at least 16 pages")
            self.pages = pages
            self.seed = seed
            self.listPages = listPages
            self.slowMilliseconds = slowMilliseconds
            self.hangMilliseconds = hangMilliseconds
        }
    }

    /// What a page does when it is requested.
    public enum PageKind: Sendable, Equatable {
        case normal
        case slow(milliseconds: Int)
        /// Sends its head, then stalls until the client gives up (or `hangMilliseconds` pass).
        case hung
        /// Always answers 500.
        case broken
        /// Answers 503 to its first `failures` requests, then 200.
        case flaky(failures: Int)
        /// Answers 200 with HTML that makes the parser trap.
        case trap
    }

    /// What a path on a host is.
    public enum Resource: Sendable, Hashable {
        case page(Int)
        case list(Int)
        case notFound
    }

    /// A place on the site: which host, which path and query.
    public struct Target: Sendable, Hashable {
        public var host: Int
        public var path: String
        public var query: String?
    }

    /// A link as the site means it; ``SiteHTML`` writes it in one of many (malformed) ways.
    public enum Link: Sendable, Hashable {
        case target(Target)
        /// The same page under the name `localhost` instead of `127.0.0.1`: another host to a crawler.
        case alias(Target)
        case external(String)
        /// A scheme a crawler does not fetch (`mailto:`, `javascript:`).
        case ignored(String)
        /// Not a URL at all (a bad port, a broken IPv6 literal).
        case invalid(String)
        /// `#top`: the page itself.
        case fragment(String)
    }

    public static let hostCount = 2
    /// The query of a page's second address (`/p/12?ref=nav&lang=en`): a crawler must treat it as
    /// another URL, as it cannot know that it is the same page.
    static let variantQuery = "ref=nav&lang=en"
    static let branching = 6

    public let configuration: Configuration

    public init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var pageCount: Int { configuration.pages }

    // MARK: Pages

    /// The host that serves page `id`: one page in four lives on the second host.
    public func home(of id: Int) -> Int {
        id % 4 == 3 ? 1 : 0
    }

    public func kind(of id: Int) -> PageKind {
        let seed = configuration.seed
        // A few fixed pages near the root, so that even a small site has one of each.
        switch id {
        case 2: return .flaky(failures: 2)
        case 3: return .broken
        case 5: return .trap
        case 7: return .slow(milliseconds: configuration.slowMilliseconds.upperBound)
        case 9: return .hung
        case 11: return .flaky(failures: 1)
        case ..<12: return .normal
        default: break
        }
        let roll = SiteHash.pick(1000, seed, UInt64(id), 1)
        switch roll {
        case ..<10:
            let range = configuration.slowMilliseconds
            return .slow(milliseconds: range.lowerBound + SiteHash.pick(range.count, seed, UInt64(id), 2))
        case 10: return .hung
        case 11..<21: return .broken
        case 21..<41: return .flaky(failures: 1 + SiteHash.pick(2, seed, UInt64(id), 3))
        default: return .normal
        }
    }

    public func target(ofPage id: Int, variant: Bool = false) -> Target {
        Target(host: home(of: id), path: id == 0 ? "/" : "/p/\(id)", query: variant ? Self.variantQuery : nil)
    }

    public func target(ofList page: Int) -> Target {
        Target(host: 0, path: "/list", query: "page=\(page)")
    }

    /// What the server has at `target` (the query matters only for the list).
    public func route(_ target: Target) -> Resource {
        if target.path == "/" { return target.host == 0 ? .page(0) : .notFound }
        if target.path == "/list", target.host == 0, let query = target.query, query.hasPrefix("page="),
           let page = Self.canonicalNumber(query.dropFirst(5)), (1...configuration.listPages).contains(page) {
            return .list(page)
        }
        if target.path.hasPrefix("/p/"), let id = Self.canonicalNumber(target.path.dropFirst(3)),
           (1..<pageCount).contains(id), home(of: id) == target.host {
            return .page(id)
        }
        return .notFound
    }

    /// Digits without a sign or leading zeros, so that `/p/012` is not `/p/12`.
    private static func canonicalNumber(_ text: Substring) -> Int? {
        guard let value = Int(text), value >= 0, String(value) == text else { return nil }
        return value
    }

    // MARK: Links

    /// The links of a page or list, in document order.
    public func links(of resource: Resource) -> [Link] {
        switch resource {
        case let .page(id): return links(ofPage: id)
        case let .list(page): return links(ofList: page)
        case .notFound: return []
        }
    }

    private func links(ofPage id: Int) -> [Link] {
        let seed = configuration.seed
        let key = UInt64(id)
        var links: [Link] = []
        // A tree, so that every page has a path from the root ...
        let first = id * Self.branching + 1
        for child in first..<max(first, min(first + Self.branching, pageCount)) {
            links.append(.target(target(ofPage: child)))
        }
        // ... and cycles: up to the parent and the root, across at random.
        if id == 0 {
            links.append(.target(target(ofList: 1)))
        } else {
            links.append(.target(target(ofPage: (id - 1) / Self.branching)))
            links.append(.target(target(ofPage: 0)))
        }
        for slot in 0..<3 {
            let other = SiteHash.pick(pageCount, seed, key, 10 + UInt64(slot))
            // Now and then the page's second address (only for plain pages: one trap is enough).
            let variant = slot == 0 && kind(of: other) == .normal && SiteHash.pick(4, seed, key, 20) == 0
            links.append(.target(target(ofPage: other, variant: variant)))
        }
        // Dead links: a page that does not exist, a path that does not exist, a page on the wrong host.
        switch SiteHash.pick(12, seed, key, 21) {
        case 0:
            let missing = pageCount + SiteHash.pick(5000, seed, key, 22)
            links.append(.target(Target(host: home(of: id), path: "/p/\(missing)")))
        case 1: links.append(.target(Target(host: 0, path: "/missing/\(id).html")))
        case 2:
            let other = SiteHash.pick(pageCount - 1, seed, key, 23) + 1
            links.append(.target(Target(host: 1 - home(of: other), path: "/p/\(other)")))
        default: break
        }
        if SiteHash.pick(3, seed, key, 24) == 0 { links.append(.fragment("top")) }
        if SiteHash.pick(2, seed, key, 25) == 0 {
            let externals = ["http://example.com/", "https://www.example.org/about", "//cdn.example.net/lib.js",
                             "HTTP://WWW.EXAMPLE.COM/Index.html"]
            links.append(.external(externals[SiteHash.pick(externals.count, seed, key, 26)]))
        }
        if SiteHash.pick(3, seed, key, 27) == 0 {
            let ignored = ["mailto:webmaster@example.com", "javascript:void(0)", "tel:+15555550100",
                           "ftp://ftp.example.com/pub/", "data:text/html,hello"]
            links.append(.ignored(ignored[SiteHash.pick(ignored.count, seed, key, 28)]))
        }
        switch SiteHash.pick(16, seed, key, 29) {
        case 0: links.append(.alias(target(ofPage: 1)))
        case 1: links.append(.invalid("http://127.0.0.1:99999/p/1"))
        case 2: links.append(.invalid("http://[::1/p/1"))
        default: break
        }
        return links
    }

    private func links(ofList page: Int) -> [Link] {
        var links: [Link] = []
        if page < configuration.listPages { links.append(.target(target(ofList: page + 1))) }
        if page > 1 { links.append(.target(target(ofList: page - 1))) }
        links.append(.target(target(ofPage: 0)))
        for slot in 0..<4 {
            let id = SiteHash.pick(pageCount, configuration.seed, 1_000_000 + UInt64(page), UInt64(slot))
            links.append(.target(target(ofPage: id)))
        }
        return links
    }
}
