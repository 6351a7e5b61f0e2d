/// The crawl's rules and resources.
public struct CrawlOptions: Sendable {
    /// Worker processes. Fetching is I/O-bound, so more than the CPUs: enough that the per-host
    /// limits, not the pool, bound how many pages are in flight.
    public var workers: Int
    /// Links followed at most this many hops from the root (the root is depth 0).
    public var maxDepth: Int
    /// Pages of one host (origin) in flight at once: a crawler's politeness.
    public var perHostLimit: Int
    /// How often a page that answered 5xx, or whose connection failed, is tried again. Timeouts
    /// are not retried: a page that hung once will likely hang again, and each try costs the full
    /// timeout.
    public var maxRetries: Int
    /// The wait before the first retry; it doubles with each one.
    public var retryBaseDelay: Duration
    /// The HTTP client's deadline for one page.
    public var pageTimeout: Duration
    /// Added to `pageTimeout` for the pool's per-item timeout, which kills a worker stuck past its
    /// own deadline (in the parser, say): the client's timeout is the rule, the pool's the backstop.
    public var workerTimeoutMargin: Duration
    /// After a page times out, its host's slot stays taken this long: the server is likely still
    /// busy with the request the crawler gave up on (it learns that the client left only when it
    /// next writes), and counting it a moment longer keeps the per-host limit true on its side too.
    public var cooldownAfterTimeout: Duration
    /// Origins (`http://host:port`) in scope besides the root's.
    public var otherOrigins: [String]
    /// Draw the library's progress line on standard error.
    public var showsProgress: Bool

    public init(workers: Int = 8, maxDepth: Int = 6, perHostLimit: Int = 4, maxRetries: Int = 3,
                retryBaseDelay: Duration = .milliseconds(50), pageTimeout: Duration = .milliseconds(2_500),
                workerTimeoutMargin: Duration = .seconds(3), cooldownAfterTimeout: Duration = .milliseconds(250),
                otherOrigins: [String] = [], showsProgress: Bool = true) {
        self.workers = workers
        self.maxDepth = maxDepth
        self.perHostLimit = perHostLimit
        self.maxRetries = maxRetries
        self.retryBaseDelay = retryBaseDelay
        self.pageTimeout = pageTimeout
        self.workerTimeoutMargin = workerTimeoutMargin
        self.cooldownAfterTimeout = cooldownAfterTimeout
        self.otherOrigins = otherOrigins
        self.showsProgress = showsProgress
    }

    /// The wait before attempt `attempt + 1`, after `attempt` attempts: base, 2 x base, 4 x base ...
    /// (no jitter: the test site's hosts are ours, and a fixed schedule keeps runs comparable).
    func retryDelay(afterAttempt attempt: Int) -> Duration {
        retryBaseDelay * (1 << min(max(attempt - 1, 0), 10))
    }
}
