/// What one URL's crawl came to.
public struct PageRecord: Sendable {
    public var url: CrawlURL
    /// Its shortest distance from the root in links.
    public var depth: Int
    public var outcome: PageOutcome
    /// Requests made for it (1 + retries).
    public var attempts: Int
    public var bytes: Int
    /// Links on the page (in scope or not), for a page that was parsed.
    public var links: Int
    /// The last attempt's fetch time, in microseconds (0 when the worker died).
    public var fetchMicroseconds: Int
    public var parseMicroseconds: Int
}

/// The crawl's results: every URL fetched and how it ended, and the counts that describe the run.
public struct CrawlReport: Sendable {
    public var root: CrawlURL
    public var options: CrawlOptions
    /// Every URL the crawler requested, with its final outcome.
    public var pages: [CrawlURL: PageRecord]
    public var elapsed: Duration
    /// Links found on parsed pages, counted once per page.
    public var linksFound: Int
    /// Links to hosts outside the crawl (not followed).
    public var externalLinks: Int
    /// `mailto:`, `javascript:` and other schemes a crawler does not fetch.
    public var unsupportedLinks: Int
    public var invalidLinks: Int
    /// URLs in scope found only beyond the depth limit.
    public var beyondDepth: [CrawlURL]
    /// The most pages of each origin that were in flight at once.
    public var peakInFlight: [String: Int]

    public var totalBytes: Int { pages.values.reduce(0) { $0 + $1.bytes } }

    /// Requests made beyond the first for each URL.
    public var retries: Int { pages.values.reduce(0) { $0 + $1.attempts - 1 } }

    public var seconds: Double {
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// URLs crawled per second of the whole run.
    public var pagesPerSecond: Double { seconds > 0 ? Double(pages.count) / seconds : 0 }

    public func count(_ kind: OutcomeKind) -> Int {
        pages.values.count { $0.outcome.kind == kind }
    }

    /// Every URL that did not end in 200, in URL order.
    public var failures: [PageRecord] {
        pages.values.filter { $0.outcome.kind != .ok }.sorted { $0.url < $1.url }
    }
}
