/// What a crawl of the site should find, worked out from the model alone: the URLs reachable
/// from the root under the crawler's rules, with the depth and outcome each should have.
///
/// The rules, as the crawler applies them: links are followed from pages that end in 200 (after
/// retries) and parse; only to the site's hosts (not `localhost`, not other sites); at most
/// `maxDepth` links from the root, along the shortest path. A 404 is fetched (that is how a
/// crawler learns it is one) but has no links to follow.
public struct ExpectedCrawl: Sendable {
    public struct Page: Sendable, Equatable {
        public var depth: Int
        public var outcome: OutcomeKind
        /// Requests the crawler should make (retries included).
        public var attempts: Int
    }

    /// Every URL the crawler should request, by its URL.
    public var pages: [String: Page]
    /// URLs in scope that are linked only from beyond the depth limit.
    public var beyondDepth: Set<String>
}

extension RunningSite {
    public func expectedCrawl(maxDepth: Int, maxRetries: Int, pageTimeout: Duration) -> ExpectedCrawl {
        let root = model.target(ofPage: 0)
        var depths: [SiteModel.Target: Int] = [root: 0]
        var order = [root]
        var beyond = Set<SiteModel.Target>()
        var pages: [String: ExpectedCrawl.Page] = [:]
        var next = 0
        // Breadth first, so the first depth found is the shortest.
        while next < order.count {
            let target = order[next]
            next += 1
            let depth = depths[target]!
            let resource = model.route(target)
            let (outcome, attempts) = expectedOutcome(of: resource, maxRetries: maxRetries, pageTimeout: pageTimeout)
            pages[url(of: target)] = ExpectedCrawl.Page(depth: depth, outcome: outcome, attempts: attempts)
            guard outcome == .ok else { continue }
            for case let .target(linked) in model.links(of: resource) where depths[linked] == nil {
                if depth + 1 <= maxDepth {
                    depths[linked] = depth + 1
                    order.append(linked)
                } else {
                    beyond.insert(linked)
                }
            }
        }
        return ExpectedCrawl(pages: pages, beyondDepth: Set(beyond.filter { depths[$0] == nil }.map(url(of:))))
    }

    private func expectedOutcome(of resource: SiteModel.Resource, maxRetries: Int,
                                 pageTimeout: Duration) -> (OutcomeKind, attempts: Int) {
        guard case let .page(id) = resource else {
            return resource == .notFound ? (.notFound, 1) : (.ok, 1)
        }
        switch model.kind(of: id) {
        case .normal: return (.ok, 1)
        case let .slow(milliseconds): return (.milliseconds(milliseconds) < pageTimeout ? .ok : .timedOut, 1)
        case .hung: return (.timedOut, 1)
        case .broken: return (.serverError, maxRetries + 1)
        case let .flaky(failures): return failures <= maxRetries ? (.ok, failures + 1) : (.serverError, maxRetries + 1)
        case .trap: return (.crashed, 1)
        }
    }
}
