/// Writes the site's pages as the HTML found in the wild rather than as a validator wants it:
/// tags in upper case, attributes without quotes or with spaces around `=`, `<li>` and `<a>`
/// never closed, entities in URLs, relative links of every kind (`12`, `./12`, `../p/12`,
/// `?page=3`, `#top`), absolute and scheme-relative ones, stray whitespace, and things that look
/// like links but are not (inside comments and scripts, `<link href>`, a tag cut off by the end of
/// the file). Which way each link is written comes from the seed, so a page is the same every time.
struct SiteHTML {
    let model: SiteModel
    /// The port of each host.
    let ports: [Int]

    func origin(ofHost host: Int) -> String { "http://127.0.0.1:\(ports[host])" }

    func render(_ resource: SiteModel.Resource, at here: SiteModel.Target) -> String {
        let key: UInt64
        let title: String
        switch resource {
        case let .page(id):
            key = UInt64(id)
            title = id == 0 ? "Home" : "Page \(id)"
        case let .list(page):
            key = 1_000_000 + UInt64(page)
            title = "Archive, page \(page)"
        case .notFound:
            return "<html><head><title>Not found</title></head><body><h1>404</h1></body></html>"
        }
        let seed = model.configuration.seed
        let bogus = model.pageCount + 100_000 + Int(key)
        var html = SiteHash.pick(5, seed, key, 40) == 0 ? "<?xml version=\"1.0\"?>\n" : "<!DOCTYPE html>\n"
        html += "<HTML><head><title>\(title) &amp; friends</title>\n"
        html += "<link rel=stylesheet href=\"/p/\(bogus)\">\n"
        html += "<style>/* <a href=\"/p/\(bogus + 1)\"> is not a link in CSS */ a { color: teal }</style>\n"
        html += "</head>\n<BODY class=site>\n<h1 id=top>\(title)</h1>\n"
        html += "<p>\(filler(key)) Note that 1 < 2 && 3 > 2, and <em>that is fine</em>.</p>\n<ul>\n"
        for (slot, link) in model.links(of: resource).enumerated() {
            guard let href = href(for: link, at: here, key: key, slot: slot) else { continue }
            let style = SiteHash.pick(8, seed, key, 50, UInt64(slot))
            html += "<li>" + anchor(href: href, text: "link \(slot)", style: style) + "\n"
        }
        html += "</ul>\n<!-- old navigation: <a href=\"/p/\(bogus + 2)\">gone</a> -->\n"
        html += "<script>document.write('<a href=\"/p/\(bogus + 3)\">x</a>'); if (a < b) {}</script>\n"
        html += "<p><abbr title=\"HyperText\">HTML</abbr> <a name=bottom>the end</a></p>\n"
        if case .page(5) = resource {
            // The page the parser traps on: a numeric reference to a UTF-16 surrogate, which names
            // no Unicode scalar (see HTMLEntities).
            html += "<p>Broken encoder output: <a href=\"/p/12&#xD800;\">here</a></p>\n"
        }
        html += "</BODY></HTML>\n"
        if SiteHash.pick(6, seed, key, 41) == 0 {
            // Cut off mid-tag, as a truncated download is: not a link (the tag never ends).
            html += "<a href=\"/p/\(bogus + 4)\""
        }
        return html
    }

    // MARK: Links

    /// How `link` is written on the page at `here`; nil for links that are not written.
    private func href(for link: SiteModel.Link, at here: SiteModel.Target, key: UInt64, slot: Int) -> String? {
        switch link {
        case let .target(target):
            return write(target, at: here, form: SiteHash.pick(12, model.configuration.seed, key, 60, UInt64(slot)))
        case let .alias(target):
            return "http://localhost:\(ports[target.host])\(target.path)"
        case let .external(url), let .ignored(url), let .invalid(url):
            return url
        case let .fragment(name):
            return "#" + name
        }
    }

    /// One of twelve ways to write `target`, falling back to an absolute URL where the form does
    /// not apply (a relative link cannot reach another host).
    private func write(_ target: SiteModel.Target, at here: SiteModel.Target, form: Int) -> String {
        let pathAndQuery = target.path + (target.query.map { "?" + $0 } ?? "")
        let absolute = origin(ofHost: target.host) + pathAndQuery
        let directory = String(here.path[...(here.path.lastIndex(of: "/") ?? here.path.startIndex)])
        let sameHost = target.host == here.host
        switch form {
        case 0 where sameHost:
            return pathAndQuery
        case 1 where sameHost && target.path.hasPrefix(directory) && target.path.count > directory.count:
            return String(pathAndQuery.dropFirst(directory.count))   // "12", "p/12"
        case 2 where sameHost && target.path.hasPrefix(directory) && target.path.count > directory.count:
            return "./" + pathAndQuery.dropFirst(directory.count)
        case 3 where sameHost:
            return ".." + pathAndQuery   // "../p/12": from the root, ".." stops at the top
        case 4 where sameHost && target.path.count > 1:
            return "/p/.." + pathAndQuery   // dot segments: "/p/../p/12"
        case 5 where sameHost && target.path == here.path && target.query != nil:
            return "?" + target.query!   // a query-only reference: "?page=3"
        case 6:
            return absolute + "#section-2"
        case 7:
            return "HTTP://127.0.0.1:\(ports[target.host])" + pathAndQuery
        case 8:
            return "//127.0.0.1:\(ports[target.host])" + pathAndQuery
        case 9 where sameHost:
            // Entities: "&#47;p&#x2F;12", "&amp;" between query parameters.
            return pathAndQuery.replacingFirst("/", with: "&#47;").replacingAll("/", with: "&#x2F;")
                .replacingAll("&", with: "&amp;", skippingEntities: true)
        case 10 where sameHost:
            return "  " + pathAndQuery + "\n "   // whitespace around the URL is stripped
        default:
            return absolute
        }
    }

    /// An `<a>` tag in one of eight styles.
    private func anchor(href: String, text: String, style: Int) -> String {
        let unquotable = !href.contains(where: { $0 == " " || $0 == "\n" || $0 == "\"" || $0 == "'" || $0 == ">" })
        switch style {
        case 0: return "<a href=\"\(href)\">\(text)</a>"
        case 1: return "<A HREF='\(href)'>\(text)</A>"
        case 2 where unquotable: return "<a href=\(href)>\(text)"   // unquoted, never closed
        case 3: return "<a class=\"nav\" id=l\(text.count) href = \"\(href)\" >\(text)</a>"
        case 4: return "<a\n  title=\"go &gt; there\"\n  HREF=\"\(href)\"\n>\(text)</a>"
        case 5: return "<a data-x=1 href=\"\(href)\" <span>\(text)</span></a>"   // "<span" is an attribute here
        case 6 where unquotable: return "<a target=_blank Href=\(href) rel=nofollow>\(text)</a>"
        case 7: return "<a href=\"\(href)\" href=\"/p/\(model.pageCount + 7)\"/>\(text)"   // the first href wins
        default: return "<a href=\"\(href)\">\(text)</a>"
        }
    }

    private func filler(_ key: UInt64) -> String {
        let words = ["lorem", "ipsum", "dolor", "sit", "amet", "process", "worker", "crawler", "page", "link",
                     "swift", "pool", "queue", "host", "fetch", "parse"]
        let count = 40 + SiteHash.pick(400, model.configuration.seed, key, 70)
        var text = ""
        text.reserveCapacity(count * 7)
        for index in 0..<count {
            if index > 0 { text += index % 12 == 0 ? ".\n" : " " }
            text += words[SiteHash.pick(words.count, model.configuration.seed, key, 71, UInt64(index))]
        }
        return text
    }
}

private extension String {
    func replacingFirst(_ target: Character, with replacement: String) -> String {
        guard let index = firstIndex(of: target) else { return self }
        return String(self[..<index]) + replacement + String(self[self.index(after: index)...])
    }

    /// Replaces every `target`; with `skippingEntities`, leaves the `&` that starts `&#...;` alone.
    func replacingAll(_ target: Character, with replacement: String, skippingEntities: Bool = false) -> String {
        var result = ""
        var index = startIndex
        while index < endIndex {
            let character = self[index]
            let next = self.index(after: index)
            if character == target && !(skippingEntities && next < endIndex && self[next] == "#") {
                result += replacement
            } else {
                result.append(character)
            }
            index = next
        }
        return result
    }
}
