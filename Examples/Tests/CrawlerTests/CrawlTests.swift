import Multiprocessing
import Testing
@testable import Crawler

/// Real crawls: worker processes (this test binary started again), real HTTP on loopback.
/// Serialized, so that two crawls do not share the 2 CPUs and blur each other's timings.
@Suite(.serialized) struct CrawlTests {
    /// Test sizes: slow pages well under the page timeout, so that only the hung page times out.
    static let smallSite = SiteModel.Configuration(pages: 300, slowMilliseconds: 100...400)
    static let options = CrawlOptions(workers: 4, maxDepth: 6, perHostLimit: 2, maxRetries: 3,
                                      retryBaseDelay: .milliseconds(20), pageTimeout: .milliseconds(2_500),
                                      showsProgress: false)

    @Test func theCrawledSetIsTheReachableSet() async throws {
        let crawl = try await SmallCrawl.shared.result()
        #expect(crawl.expected.pages.count > 300)
        #expect(crawl.differences == [])
    }

    @Test func theTrappingPageCostsOneTaskAndTheCrawlCompletes() async throws {
        let crawl = try await SmallCrawl.shared.result()
        let crashed = crawl.report.pages.values.filter { $0.outcome.kind == .crashed }
        #expect(crashed.map(\.url.path) == ["/p/5"])
        guard case let .crashed(reason, message) = crashed.first?.outcome else { return }
        #expect(reason.contains("SIGILL") || reason.contains("SIGTRAP"))
        #expect(message.contains("Fatal error"))
        // Everything else was crawled as predicted, after the worker died.
        #expect(crawl.report.pages.count == crawl.expected.pages.count)
        #expect(crawl.report.count(.ok) > 250)
    }

    @Test func notFoundPagesAreReportedAndNotFollowed() async throws {
        let crawl = try await SmallCrawl.shared.result()
        let notFound = crawl.report.pages.values.filter { $0.outcome == .status(404) }
        #expect(notFound.count >= 10)
        for record in notFound {
            #expect(record.links == 0 && record.parseMicroseconds == 0, "\(record.url) was parsed")
            #expect(record.attempts == 1, "\(record.url) was retried")
            #expect(crawl.requests(record.url) == 1)
        }
    }

    @Test func serverErrorsThatPassAreRetriedUntilTheySucceed() async throws {
        let crawl = try await SmallCrawl.shared.result()
        // Page 2 answers 503 twice, page 11 once (on the second host).
        for (id, failures) in [(2, 2), (11, 1)] {
            let record = try #require(crawl.record(page: id))
            #expect(record.outcome == .status(200))
            #expect(record.attempts == failures + 1)
            #expect(crawl.requests(record.url) == failures + 1)
            #expect(record.links > 0)
        }
    }

    @Test func permanentServerErrorsAreReportedAfterTheRetryLimit() async throws {
        let crawl = try await SmallCrawl.shared.result()
        let record = try #require(crawl.record(page: 3))
        #expect(record.outcome == .status(500))
        #expect(record.attempts == Self.options.maxRetries + 1)
        #expect(crawl.requests(record.url) == Self.options.maxRetries + 1)
        #expect(crawl.report.failures.contains { $0.url == record.url })
    }

    @Test func aHungPageTimesOut() async throws {
        let crawl = try await SmallCrawl.shared.result()
        let record = try #require(crawl.record(page: 9))
        guard case .timedOut = record.outcome else {
            Issue.record("page 9: \(record.outcome)")
            return
        }
        #expect(record.attempts == 1)
    }

    @Test func thePerHostLimitIsNeverExceeded() async throws {
        let crawl = try await SmallCrawl.shared.result()
        let limit = Self.options.perHostLimit
        for host in 0..<SiteModel.hostCount {
            // As the site counted requests being served, and as the coordinator counted its own.
            #expect(crawl.site.counters.peakConcurrency(host: host) <= limit)
            #expect(crawl.report.peakInFlight[crawl.site.origins[host]] == limit)
        }
        #expect(crawl.site.counters.peakConcurrency(host: 0) > 1, "the limit was never even reached")
    }

    @Test func theDepthLimitHolds() async throws {
        let site = SiteModel(Self.smallSite)
        var options = Self.options
        options.maxDepth = 2
        let (report, expected) = try await TestSite.withRunning(site) { site in
            options.otherOrigins = Array(site.origins.dropFirst())
            let report = try await Crawler.crawl(from: site.root, options: options)
            let expected = site.expectedCrawl(maxDepth: 2, maxRetries: options.maxRetries, pageTimeout: options.pageTimeout)
            return (report, expected)
        }
        #expect(expected.differences(from: report) == [])
        #expect(report.pages.values.allSatisfy { $0.depth <= 2 })
        #expect(report.pages.values.contains { $0.depth == 2 })
        #expect(report.beyondDepth.count > 100)
    }

    @Test func theDefaultSizeSite() async throws {
        // 2,000 pages, as `demos all` crawls them (with the test's shorter waits).
        let site = SiteModel(.init(pages: 2_000, slowMilliseconds: 100...400))
        var options = Self.options
        options.workers = 6
        options.perHostLimit = 3
        let differences = try await TestSite.withRunning(site) { site in
            options.otherOrigins = Array(site.origins.dropFirst())
            let report = try await Crawler.crawl(from: site.root, options: options)
            #expect(report.pages.count > 2_000)
            return site.expectedCrawl(maxDepth: options.maxDepth, maxRetries: options.maxRetries,
                                      pageTimeout: options.pageTimeout).differences(from: report)
        }
        #expect(differences == [])
    }
}

/// One crawl of the small site, shared by the tests that look at its different sides.
actor SmallCrawl {
    struct Result: Sendable {
        var report: CrawlReport
        var expected: ExpectedCrawl
        var differences: [String]
        /// The site, stopped by now; its counters remain.
        var site: RunningSite

        func record(page id: Int) -> PageRecord? {
            report.pages[CrawlURL(site.url(of: site.model.target(ofPage: id)))!]
        }

        func requests(_ url: CrawlURL) -> Int {
            site.counters.requests(to: site.target(of: url)!)
        }
    }

    static let shared = SmallCrawl()
    private var running: Task<Result, any Error>?

    func result() async throws -> Result {
        if running == nil {
            running = Task {
                try await TestSite.withRunning(SiteModel(CrawlTests.smallSite)) { site in
                    var options = CrawlTests.options
                    options.otherOrigins = Array(site.origins.dropFirst())
                    let report = try await Crawler.crawl(from: site.root, options: options)
                    let expected = site.expectedCrawl(maxDepth: options.maxDepth, maxRetries: options.maxRetries,
                                                      pageTimeout: options.pageTimeout)
                    return Result(report: report, expected: expected, differences: expected.differences(from: report),
                                  site: site)
                }
            }
        }
        return try await running!.value
    }
}
