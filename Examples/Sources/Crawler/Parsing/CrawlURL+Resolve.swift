/// Reference resolution, RFC 3986 section 5.2, with the leniency browsers show to what pages
/// really contain: surrounding whitespace is stripped and tabs and newlines inside are dropped,
/// `\` counts as `/`, and characters that may not appear in a URL are percent-encoded instead of
/// making the link invalid. Host names must be ASCII (no IDNA here).
extension CrawlURL {
    static func resolve(_ text: String, against base: CrawlURL?) -> LinkResolution {
        let reference = Reference(text)
        if let scheme = reference.scheme {
            guard defaultPorts[scheme] != nil else { return .unsupportedScheme(scheme) }
            // "http:foo" (a scheme but no authority) names no host.
            guard let authority = reference.authority else { return .invalid }
            return make(scheme: scheme, authority: authority, path: reference.path, query: reference.query)
        }
        guard let base else { return .invalid }
        if let authority = reference.authority {
            return make(scheme: base.scheme, authority: authority, path: reference.path, query: reference.query)
        }
        if reference.path.isEmpty {
            // "", "#top", "?page=2": this page, or this path with another query.
            let query = reference.query.map { percentEncoded($0, allowing: queryCharacters) } ?? base.query
            return .url(CrawlURL(scheme: base.scheme, host: base.host, port: base.port, path: base.path, query: query))
        }
        let path = reference.path.hasPrefix("/") ? reference.path : merge(base.path, reference.path)
        return .url(CrawlURL(scheme: base.scheme, host: base.host, port: base.port, path: normalizedPath(path),
                             query: reference.query.map { percentEncoded($0, allowing: queryCharacters) }))
    }

    private static func make(scheme: String, authority: Substring, path: String, query: String?) -> LinkResolution {
        guard let (host, port) = parseAuthority(authority).map({ ($0.host, $0.port) }) else { return .invalid }
        return .url(CrawlURL(scheme: scheme, host: host, port: port == defaultPorts[scheme] ? nil : port,
                             path: normalizedPath(path.isEmpty ? "/" : path),
                             query: query.map { percentEncoded($0, allowing: queryCharacters) }))
    }

    /// `[userinfo@]host[:port]`, the user information dropped; nil if the host or port is bad.
    private static func parseAuthority(_ authority: Substring) -> (host: String, port: Int?)? {
        let hostAndPort = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        let host: Substring
        let portText: Substring?
        if hostAndPort.hasPrefix("[") {
            // An IPv6 literal: "[::1]:8080".
            guard let close = hostAndPort.firstIndex(of: "]") else { return nil }
            host = hostAndPort[...close]
            let rest = hostAndPort[hostAndPort.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { return nil }
            portText = rest.isEmpty ? nil : rest.dropFirst()
            guard host.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            let colon = hostAndPort.firstIndex(of: ":")
            host = hostAndPort[..<(colon ?? hostAndPort.endIndex)]
            portText = colon.map { hostAndPort[hostAndPort.index(after: $0)...] }
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") })
            else { return nil }
        }
        guard !host.isEmpty else { return nil }
        var port: Int?
        if let portText, !portText.isEmpty {
            guard portText.allSatisfy(\.isASCII), let value = Int(portText), (0...65535).contains(value) else { return nil }
            port = value
        }
        return (host.lowercased(), port)
    }

    /// RFC 3986 5.2.3: the base's directory followed by the relative path.
    private static func merge(_ basePath: String, _ relative: String) -> String {
        guard let slash = basePath.lastIndex(of: "/") else { return "/" + relative }
        return String(basePath[...slash]) + relative
    }

    private static func normalizedPath(_ path: String) -> String {
        percentEncoded(removeDotSegments(path), allowing: pathCharacters)
    }

    /// RFC 3986 5.2.4: "/a/b/../c/./d" becomes "/a/c/d"; ".." never climbs above the root.
    static func removeDotSegments(_ path: String) -> String {
        var segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let absolute = path.hasPrefix("/")
        if absolute { segments.removeFirst() }
        var output: [Substring] = []
        for (position, segment) in segments.enumerated() {
            let isLast = position == segments.count - 1
            switch segment {
            case ".":
                if isLast { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if isLast { output.append("") }
            default:
                output.append(segment)
            }
        }
        return (absolute ? "/" : "") + output.joined(separator: "/")
    }

    // MARK: Percent-encoding

    private static let pathCharacters = allowedSet("-._~!$&'()*+,;=:@/%")
    private static let queryCharacters = allowedSet("-._~!$&'()*+,;=:@/%?")

    private static func allowedSet(_ punctuation: String) -> [Bool] {
        var allowed = [Bool](repeating: false, count: 128)
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { allowed[Int(byte)] = true }
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { allowed[Int(byte)] = true }
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { allowed[Int(byte)] = true }
        for byte in punctuation.utf8 { allowed[Int(byte)] = true }
        return allowed
    }

    /// Encodes every byte outside `allowed` (spaces, quotes, non-ASCII) as `%XX`; existing `%XX`
    /// are left as they are.
    private static func percentEncoded(_ text: String, allowing allowed: [Bool]) -> String {
        guard !text.utf8.allSatisfy({ $0 < 128 && allowed[Int($0)] }) else { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            if byte < 128 && allowed[Int(byte)] {
                bytes.append(byte)
            } else {
                bytes.append(contentsOf: [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A URL reference split into its parts (RFC 3986 appendix B); the fragment is dropped, as it
/// names a place in a page, not another page.
private struct Reference {
    var scheme: String?
    var authority: Substring?
    var path: String
    var query: String?

    init(_ raw: String) {
        var text = Substring(Self.cleaned(raw))
        if let end = text.firstIndex(of: "#") { text = text[..<end] }
        if let colon = text.firstIndex(of: ":"), let first = text.first, first.isASCII, first.isLetter,
           text[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }) {
            scheme = text[..<colon].lowercased()
            text = text[text.index(after: colon)...]
        }
        if text.hasPrefix("//") {
            let rest = text.dropFirst(2)
            let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            authority = rest[..<end]
            text = rest[end...]
        }
        if let mark = text.firstIndex(of: "?") {
            query = String(text[text.index(after: mark)...])
            text = text[..<mark]
        }
        path = String(text)
    }

    /// Strips leading and trailing spaces and control characters, drops tabs and newlines inside,
    /// and reads `\` as `/`, as browsers do.
    private static func cleaned(_ raw: String) -> String {
        let isSpaceOrControl: (Unicode.Scalar) -> Bool = { $0.value <= 0x20 }
        var scalars = Substring(raw).unicodeScalars
        while let first = scalars.first, isSpaceOrControl(first) { scalars.removeFirst() }
        while let last = scalars.last, isSpaceOrControl(last) { scalars.removeLast() }
        var result = String.UnicodeScalarView()
        for scalar in scalars where scalar != "\t" && scalar != "\n" && scalar != "\r" {
            result.append(scalar == "\\" ? "/" : scalar)
        }
        return String(result)
    }
}
