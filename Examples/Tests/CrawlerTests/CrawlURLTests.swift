import Testing
@testable import Crawler

/// Resolving links against the page they are on, and the canonical form URLs are de-duplicated in.
@Suite struct CrawlURLTests {
    let base = CrawlURL("http://127.0.0.1:8080/p/12?from=home")!

    func resolved(_ reference: String) -> String? {
        guard case let .url(url) = base.resolve(reference) else { return nil }
        return url.description
    }

    @Test(arguments: [
        ("13", "http://127.0.0.1:8080/p/13"),
        ("./13", "http://127.0.0.1:8080/p/13"),
        ("../list?page=2", "http://127.0.0.1:8080/list?page=2"),
        ("../../../../top", "http://127.0.0.1:8080/top"),
        ("/a/b/../c/./d", "http://127.0.0.1:8080/a/c/d"),
        ("a/./b/../../c", "http://127.0.0.1:8080/p/c"),
        ("/p/..", "http://127.0.0.1:8080/"),
        ("?page=3", "http://127.0.0.1:8080/p/12?page=3"),
        ("#top", "http://127.0.0.1:8080/p/12?from=home"),
        ("", "http://127.0.0.1:8080/p/12?from=home"),
        ("/p/13#section-2", "http://127.0.0.1:8080/p/13"),
        ("//127.0.0.1:9090/p/1", "http://127.0.0.1:9090/p/1"),
        ("//cdn.example.net/lib.js", "http://cdn.example.net/lib.js"),
        ("HTTP://WWW.Example.COM:80/Index.html", "http://www.example.com/Index.html"),
        ("https://example.org:443", "https://example.org/"),
        ("http://user:secret@example.com/x", "http://example.com/x"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("  /p/1 \n", "http://127.0.0.1:8080/p/1"),
        ("/p/\n1", "http://127.0.0.1:8080/p/1"),
        ("\\p\\2", "http://127.0.0.1:8080/p/2"),
        ("/a b/é?q=a b", "http://127.0.0.1:8080/a%20b/%C3%A9?q=a%20b"),
        ("/ok%20already", "http://127.0.0.1:8080/ok%20already"),
    ])
    func resolvesLikeABrowser(reference: String, expected: String) {
        #expect(resolved(reference) == expected)
    }

    @Test(arguments: ["mailto:someone@example.com", "javascript:void(0)", "tel:+15555550100",
                      "ftp://ftp.example.com/", "data:text/html,hi", "MAILTO:x@y"])
    func schemesACrawlerDoesNotFetch(reference: String) {
        guard case .unsupportedScheme = base.resolve(reference) else {
            Issue.record("\(reference) should be an unsupported scheme")
            return
        }
    }

    @Test(arguments: ["http://127.0.0.1:99999/p/1", "http://[::1/p/1", "http:no-authority", "http://", "http://bad host/",
                      "http://xn--caf-dma.example.com:x/"])
    func notURLs(reference: String) {
        #expect(base.resolve(reference) == .invalid)
    }

    @Test func canonicalFormsAreEqual() {
        let a = CrawlURL("HTTP://Host:80/a/./b/../c")
        let b = CrawlURL("http://host/a/c#fragment")
        #expect(a != nil && a == b)
        #expect(a?.origin == "http://host")
        #expect(CrawlURL("/relative") == nil)
        #expect(CrawlURL("http://127.0.0.1:8080")?.description == "http://127.0.0.1:8080/")
    }

    @Test func removeDotSegmentsFollowsRFC3986() {
        // The examples of RFC 3986, section 5.2.4.
        #expect(CrawlURL.removeDotSegments("/a/b/c/./../../g") == "/a/g")
        #expect(CrawlURL.removeDotSegments("mid/content=5/../6") == "mid/6")
        #expect(CrawlURL.removeDotSegments("/a/b/..") == "/a/")
        #expect(CrawlURL.removeDotSegments("/a//b") == "/a//b")
    }
}
