import Multiprocessing
import Testing
import Crawler

/// Parses HTML in a worker process (declared at file scope, so that the worker finds it by name).
struct ParseLinks: Job {
    func run(_ html: String) async throws -> [String] {
        LinkParser.hrefs(in: html)
    }
}

/// The parser's deliberate trap (see HTMLEntities), met in a worker: that item fails with the
/// trap's message, the items before and after it are parsed, the pool goes on.
@Test func theParserTrapsOnASurrogateReferenceAndOnlyThatItemFails() async throws {
    let pages = [#"<a href="/before">"#, #"<a href="/p/12&#xD800;">trap</a>"#, #"<a href="/after">"#]
    try await withProcessPool(workers: 1) { pool in
        let results = try await pool.mapResults(ParseLinks(), pages, chunkSize: 1)
        #expect(try results[0].get() == ["/before"])
        #expect(try results[2].get() == ["/after"])
        guard case let .failure(failure) = results[1], case .crashed = failure.reason else {
            Issue.record("the trapping page did not crash its worker: \(results[1])")
            return
        }
        #expect(failure.stderrTail.contains { $0.contains("Fatal error") && $0.contains("names no Unicode scalar") })
    }
}
