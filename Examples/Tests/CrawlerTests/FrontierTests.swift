import Testing
@testable import Crawler

/// The coordinator's rules, without processes or sockets.
@Suite struct FrontierTests {
    func url(_ text: String) -> CrawlURL { CrawlURL(text)! }

    func frontier(maxDepth: Int = 5, limit: Int = 2) -> Frontier {
        Frontier(rules: .init(maxDepth: maxDepth, perHostLimit: limit, origins: ["http://a", "http://b"]))
    }

    @Test func aURLIsQueuedOnceHoweverItIsWritten() {
        var frontier = frontier()
        let first = frontier.discover(url("http://a/x"), depth: 1)
        let again = frontier.discover(url("HTTP://A:80/y/../x#top"), depth: 1)
        #expect(first != nil && first == again)
        #expect(frontier.takeDispatchable().count == 1)
    }

    @Test func otherHostsAreCountedNotFollowed() {
        var frontier = frontier()
        #expect(frontier.discover(url("http://c/x"), depth: 1) == nil)
        #expect(frontier.discover(url("http://a:8080/x"), depth: 1) == nil)   // another port is another host
        #expect(frontier.externalLinks == 2)
        #expect(frontier.isDrained)
    }

    @Test func eachHostHasItsOwnLimit() {
        var frontier = frontier(limit: 3)
        for index in 0..<10 {
            frontier.discover(url("http://a/\(index)"), depth: 1)
            frontier.discover(url("http://b/\(index)"), depth: 1)
        }
        let first = frontier.takeDispatchable()
        #expect(first.count == 6)
        #expect(frontier.takeDispatchable().isEmpty)
        // One page of host a comes back: one more of host a may go, none of host b.
        let aPage = first.first { frontier.nodes[$0].url.origin == "http://a" }!
        frontier.finish(aPage, links: [])
        let next = frontier.takeDispatchable()
        #expect(next.count == 1 && frontier.nodes[next[0]].url.origin == "http://a")
        #expect(frontier.peakInFlight == ["http://a": 3, "http://b": 3])
    }

    @Test func aPageBackingOffFreesItsSlotAndKeepsTheCrawlOpen() {
        var frontier = frontier(limit: 1)
        frontier.discover(url("http://a/1"), depth: 0)
        frontier.discover(url("http://a/2"), depth: 1)
        let first = frontier.takeDispatchable()
        frontier.backOff(first[0])
        #expect(!frontier.isDrained)
        let second = frontier.takeDispatchable()
        #expect(second.count == 1 && second != first)
        frontier.finish(second[0], links: [])
        frontier.retry(first[0])
        #expect(frontier.takeDispatchable() == first)
        #expect(frontier.nodes[first[0]].attempts == 2)
        frontier.finish(first[0], links: [])
        #expect(frontier.isDrained)
    }

    @Test func linksBeyondTheDepthLimitWaitAndComeInOnAShorterPath() {
        var frontier = frontier(maxDepth: 2, limit: 10)
        let deep = frontier.discover(url("http://a/deep"), depth: 3)!
        #expect(frontier.nodes[deep].state == .tooDeep)
        #expect(frontier.takeDispatchable().isEmpty)
        frontier.discover(url("http://a/deep"), depth: 2)
        #expect(frontier.nodes[deep].state == .queued)
        #expect(frontier.takeDispatchable() == [deep])
    }

    @Test func aShorterPathToAFinishedPageLowersItsLinks() {
        var frontier = frontier(maxDepth: 2, limit: 10)
        // "page" is first found at depth 2; its link "child" is then too deep (3).
        let page = frontier.discover(url("http://a/page"), depth: 2)!
        #expect(frontier.takeDispatchable() == [page])
        frontier.finish(page, links: [url("http://a/child"), url("http://elsewhere/x")])
        let child = frontier.number(of: url("http://a/child"))!
        #expect(frontier.nodes[child].state == .tooDeep)
        // A shorter path to "page" arrives later: "child" is now at depth 2, within the limit.
        frontier.discover(url("http://a/page"), depth: 1)
        #expect(frontier.nodes[page].depth == 1)
        #expect(frontier.nodes[child].depth == 2)
        #expect(frontier.takeDispatchable() == [child])
    }

    @Test func fifoKeepsOrderAcrossCompaction() {
        var queue = FIFO()
        var popped: [Int] = []
        for value in 0..<5000 {
            queue.push(value)
            if value % 3 == 0, let item = queue.pop() { popped.append(item) }
        }
        while let item = queue.pop() { popped.append(item) }
        #expect(popped == Array(0..<5000))
        #expect(queue.isEmpty)
    }
}
