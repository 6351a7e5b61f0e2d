/// The report as the demo prints it: throughput, pages by outcome, links, hosts, and the
/// failures with their causes (every crash and timeout; 5xx and 404, many and alike, abridged).
extension CrawlReport {
    public func summary(abridgedTo: Int = 5) -> String {
        var lines: [String] = []
        let seconds = Self.decimal(self.seconds, 2)
        let rate = Self.grouped(Int(pagesPerSecond.rounded()))
        lines.append("crawled \(Self.grouped(pages.count)) URLs in \(seconds) s: \(rate) pages/s, "
                     + "\(Self.megabytes(totalBytes)) MB read")
        lines.append("  (\(options.workers) workers, at most \(options.perHostLimit) pages in flight per host, depth <= "
                     + "\(options.maxDepth), 5xx retried up to \(options.maxRetries) times)")
        let retriedOK = pages.values.count { $0.outcome.kind == .ok && $0.attempts > 1 }
        let rows: [(String, OutcomeKind, String)] = [
            ("200 OK", .ok, retriedOK > 0 ? "\(retriedOK) of them after a 5xx and a retry" : ""),
            ("404 Not Found", .notFound, "not followed"),
            ("5xx after retries", .serverError, "\(options.maxRetries + 1) attempts each"),
            ("other status", .otherStatus, ""),
            ("timed out", .timedOut, ""),
            ("network error", .networkError, ""),
            ("crashed a worker", .crashed, "the crawl went on"),
            ("other failure", .failed, ""),
        ]
        lines.append("  by outcome:")
        for (label, kind, note) in rows {
            let count = count(kind)
            guard count > 0 || kind == .ok else { continue }
            let padded = label + String(repeating: " ", count: max(0, 20 - label.count))
            let number = Self.grouped(count)
            lines.append("    \(padded)\(String(repeating: " ", count: max(0, 7 - number.count)))\(number)"
                         + (note.isEmpty ? "" : "   (\(note))"))
        }
        lines.append("  links: \(Self.grouped(linksFound)) on the pages; \(Self.grouped(externalLinks)) to other hosts "
                     + "(not followed); \(Self.grouped(unsupportedLinks)) mailto:, javascript: and such; "
                     + "\(Self.grouped(invalidLinks)) invalid; URLs beyond the depth limit: "
                     + Self.grouped(beyondDepth.count))
        let hosts = peakInFlight.keys.sorted().map { origin in
            let count = Self.grouped(pages.keys.count { $0.origin == origin })
            return "\(origin) \(count) URLs, at most \(peakInFlight[origin]!) in flight"
        }
        lines.append("  hosts: " + hosts.joined(separator: "; "))
        let fetches = pages.values.map(\.fetchMicroseconds).filter { $0 > 0 }.sorted()
        if !fetches.isEmpty {
            let mean = Double(fetches.reduce(0, +)) / Double(fetches.count) / 1000
            let median = Double(fetches[fetches.count / 2]) / 1000
            let parsed = pages.values.filter { $0.outcome.kind == .ok }
            let parse = parsed.isEmpty ? 0 : Double(parsed.reduce(0) { $0 + $1.parseMicroseconds }) / Double(parsed.count)
            lines.append("  in the workers: a fetch took \(Self.decimal(median, 1)) ms (median; mean "
                         + "\(Self.decimal(mean, 1)) ms, slow pages included), a parse "
                         + "\(Int(parse.rounded())) us on average")
        }
        let failures = failures
        lines.append("  failures (\(Self.grouped(failures.count))), by cause:")
        // The rare causes in full; 5xx and 404, which are many and alike, abridged.
        for (label, kind, _) in rows.sorted(by: { $0.1 > $1.1 }) where kind != .ok {
            let group = failures.filter { $0.outcome.kind == kind }
            guard !group.isEmpty else { continue }
            lines.append("    \(label) (\(Self.grouped(group.count))):")
            let shown = kind == .notFound || kind == .serverError ? abridgedTo : 50
            for record in group.prefix(shown) {
                let attempts = record.attempts > 1 ? " after \(record.attempts) attempts" : ""
                lines.append("      \(record.url)  \(record.outcome)\(attempts)")
            }
            if group.count > shown { lines.append("      ... and \(Self.grouped(group.count - shown)) more") }
        }
        return lines.joined(separator: "\n")
    }

    /// "12,345".
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return (value < 0 ? "-" : "") + result
    }

    static func decimal(_ value: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        return places == 0 ? "\(whole)" : "\(whole)." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    static func megabytes(_ bytes: Int) -> String {
        decimal(Double(bytes) / 1_000_000, 1)
    }
}
