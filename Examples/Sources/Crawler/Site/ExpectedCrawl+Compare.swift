extension ExpectedCrawl {
    /// How a crawl differs from this prediction, one line per difference (none: it matches):
    /// URLs missing or extra, and for each URL its outcome, depth and number of requests.
    public func differences(from report: CrawlReport) -> [String] {
        var lines: [String] = []
        let crawled = Dictionary(uniqueKeysWithValues: report.pages.map { ($0.key.description, $0.value) })
        for url in pages.keys.sorted() where crawled[url] == nil {
            lines.append("not crawled: \(url)")
        }
        for url in crawled.keys.sorted() where pages[url] == nil {
            lines.append("crawled but not reachable: \(url)")
        }
        for (url, expected) in pages.sorted(by: { $0.key < $1.key }) {
            guard let record = crawled[url] else { continue }
            if record.outcome.kind != expected.outcome {
                lines.append("\(url): \(record.outcome), expected \(expected.outcome)")
            }
            if record.depth != expected.depth {
                lines.append("\(url): depth \(record.depth), expected \(expected.depth)")
            }
            if record.attempts != expected.attempts {
                lines.append("\(url): \(record.attempts) requests, expected \(expected.attempts)")
            }
        }
        let beyond = Set(report.beyondDepth.map(\.description))
        if beyond != beyondDepth {
            lines.append("URLs beyond the depth limit: \(beyond.count), expected \(beyondDepth.count)")
        }
        return lines
    }
}
