import Testing
@testable import Crawler

/// The test site itself: that it has what the crawl must meet, and that its malformed HTML, read
/// by the crawler's parser and resolver, says exactly what the model means.
@Suite struct SiteModelTests {
    let ports = [41_001, 41_002]

    func site(pages: Int) -> RunningSite {
        RunningSite(model: SiteModel(.init(pages: pages)), ports: ports, counters: SiteCounters(hosts: 2))
    }

    @Test func theDefaultSiteHasEveryKindOfTrouble() {
        let site = site(pages: 2_000)
        let expected = site.expectedCrawl(maxDepth: 6, maxRetries: 3, pageTimeout: .milliseconds(2_500))
        let outcomes = expected.pages.values.map(\.outcome)
        #expect(expected.pages.count >= 2_000)
        #expect(outcomes.count { $0 == .crashed } == 1)
        #expect(outcomes.count { $0 == .timedOut } >= 1)
        #expect(outcomes.count { $0 == .serverError } >= 5)
        #expect(outcomes.count { $0 == .notFound } >= 50)
        #expect(expected.pages.values.count { $0.outcome == .ok && $0.attempts > 1 } >= 10)
        #expect(!expected.beyondDepth.isEmpty)
        let kinds = (0..<2_000).map(site.model.kind(of:))
        #expect(kinds.count { if case .slow = $0 { true } else { false } } >= 10)
        #expect(Set(expected.pages.keys.compactMap { CrawlURL($0)?.origin }).count == 2)
    }

    @Test func routesAreExact() {
        let model = SiteModel(.init(pages: 100))
        #expect(model.route(.init(host: 0, path: "/p/12")) == .page(12))
        #expect(model.route(.init(host: 0, path: "/p/12", query: "ref=nav&lang=en")) == .page(12))
        #expect(model.route(.init(host: 0, path: "/p/012")) == .notFound)
        #expect(model.route(.init(host: 1, path: "/p/12")) == .notFound)   // page 12 lives on host 0
        #expect(model.route(.init(host: 1, path: "/p/15")) == .page(15))
        #expect(model.route(.init(host: 0, path: "/p/100")) == .notFound)
        #expect(model.route(.init(host: 0, path: "/list", query: "page=20")) == .list(20))
        #expect(model.route(.init(host: 0, path: "/list", query: "page=21")) == .notFound)
    }

    @Test func pagesAreTheSameEveryTime() {
        let html = SiteHTML(model: SiteModel(.init(pages: 300)), ports: ports)
        let target = SiteModel.Target(host: 0, path: "/p/42")
        #expect(html.render(.page(42), at: target) == html.render(.page(42), at: target))
        #expect(html.render(.page(42), at: target) != html.render(.page(43), at: target))
    }

    /// Every page of a 300-page site (the trapping one aside), rendered in its malformed ways,
    /// parsed and resolved: the in-scope URLs found are exactly the model's links.
    @Test func theParserReadsTheSitesHTMLAsTheModelMeansIt() {
        let site = site(pages: 300)
        let html = SiteHTML(model: site.model, ports: ports)
        let origins = Set(site.origins)
        var resources: [(SiteModel.Resource, SiteModel.Target)] = (0..<300).map {
            (.page($0), site.model.target(ofPage: $0))
        }
        resources += (1...20).map { (.list($0), site.model.target(ofList: $0)) }
        for (resource, target) in resources where resource != .page(5) {
            let page = CrawlURL(site.url(of: target))!
            var found = Set<String>()
            for href in LinkParser.hrefs(in: html.render(resource, at: target)) {
                if case let .url(url) = page.resolve(href), origins.contains(url.origin) { found.insert(url.description) }
            }
            var meant = Set<String>()
            for link in site.model.links(of: resource) {
                switch link {
                case let .target(linked): meant.insert(site.url(of: linked))
                case .fragment: meant.insert(page.description)
                default: break
                }
            }
            #expect(found == meant, "\(target.path)?\(target.query ?? "")")
        }
    }
}
