import ArgumentParser
import Crawler

/// `demos crawl`: serves a generated test site on loopback (Hummingbird, in this process) and
/// crawls it with the pool's workers fetching and parsing (AsyncHTTPClient), then prints pages/s,
/// pages by outcome and every failure with its cause, and checks the crawl against the site's
/// own account of what is reachable.
struct CrawlCommand: Demo {
    static let configuration = CommandConfiguration(
        commandName: "crawl",
        abstract: "Crawl a generated site served on loopback; the pool's workers fetch and parse."
    )
    static let title = "Web crawler"
    static let defaultPages = 2_000
    static let fullPages = 20_000

    @Option(help: "Worker processes. Fetching waits on the network, so more than the CPUs.")
    var workers = CrawlOptions().workers

    @Option(help: "Pages of the test site (default \(CrawlCommand.defaultPages); with --full, \(CrawlCommand.fullPages)).")
    var pages: Int?

    @Flag(help: "The full size: a site of \(CrawlCommand.fullPages) pages.")
    var full = false

    @Option(help: "Follow links at most this many hops from the root.")
    var maxDepth = CrawlOptions().maxDepth

    @Option(help: "Pages in flight per host at most.")
    var perHost = CrawlOptions().perHostLimit

    @Option(help: "Retries of a page that answers 5xx.")
    var retries = CrawlOptions().maxRetries

    @Option(help: "The seed the site is generated from.")
    var seed: UInt64 = 6

    static func runDefault() async throws {
        try await crawl(site: SiteModel.Configuration(pages: defaultPages), options: CrawlOptions())
    }

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard (pages ?? Self.defaultPages) >= 16 else { throw ValidationError("--pages must be at least 16") }
        guard perHost >= 1 else { throw ValidationError("--per-host must be at least 1") }
        guard maxDepth >= 0, retries >= 0 else { throw ValidationError("--max-depth and --retries must not be negative") }
    }

    func run() async throws {
        let site = SiteModel.Configuration(pages: pages ?? (full ? Self.fullPages : Self.defaultPages), seed: seed)
        let options = CrawlOptions(workers: workers, maxDepth: maxDepth, perHostLimit: perHost, maxRetries: retries)
        try await exitOnInterrupt {
            try await Self.crawl(site: site, options: options)
        }
    }

    static func crawl(site configuration: SiteModel.Configuration, options: CrawlOptions) async throws {
        let model = SiteModel(configuration)
        try await TestSite.withRunning(model) { site in
            var options = options
            options.otherOrigins = Array(site.origins.dropFirst())
            print("site: \(CrawlReport.grouped(model.pageCount)) pages and a \(configuration.listPages)-page archive "
                  + "on \(site.origins.count) loopback hosts (\(site.origins.joined(separator: ", "))), "
                  + "served by Hummingbird in this process")
            print("crawling from \(site.root) with \(options.workers) worker processes (AsyncHTTPClient in each)")
            let report = try await Crawler.crawl(from: site.root, options: options)
            print(report.summary())
            let peaks = (0..<site.ports.count).map { String(site.counters.peakConcurrency(host: $0)) }
            let requests = CrawlReport.grouped(site.counters.totalRequests)
            print("  the site saw at most \(peaks.joined(separator: " and ")) requests at once on its hosts "
                  + "(limit \(options.perHostLimit)), \(requests) requests in all")
            let expected = site.expectedCrawl(maxDepth: options.maxDepth, maxRetries: options.maxRetries,
                                              pageTimeout: options.pageTimeout)
            let differences = expected.differences(from: report)
            if differences.isEmpty {
                print("check: the crawled set is the site's reachable set "
                      + "(\(CrawlReport.grouped(expected.pages.count)) URLs; every outcome, depth and retry count as predicted)")
            } else {
                print("check: \(differences.count) differences from the site's reachable set:")
                for line in differences.prefix(20) { print("  " + line) }
            }
        }
    }
}
