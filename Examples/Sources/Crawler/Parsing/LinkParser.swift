/// Finds the `href` of every `<a>` start tag in an HTML page, tolerating what pages really
/// contain, roughly as an HTML5 tokenizer would and in one pass over the bytes:
///
/// - tag and attribute names in any case (`<A HREF=...>`); the first of two `href`s wins;
/// - values in double quotes, single quotes or none (`href=/p/1`), spaces around `=`;
/// - unclosed elements (`<li>`, `<a>` without `</a>`) do not matter: only start tags are read;
/// - `<` that starts no tag (`1 < 2`) is text; comments, `<!DOCTYPE>`, `<?xml?>` are skipped;
/// - the text of `<script>`, `<style>`, `<textarea>` and `<title>` is not markup, so a link written
///   inside a script is not a link;
/// - a tag cut off by the end of the page is dropped, as browsers drop it.
///
/// It is not a full HTML parser (no `<base href>`, no character encodings but UTF-8): it extracts
/// links, which is what a crawler needs, and its entity decoding carries a deliberate trap (see
/// ``HTMLEntities``).
public enum LinkParser {
    /// The `href` values, entities decoded, in document order.
    public static func hrefs(in html: [UInt8]) -> [String] {
        var scanner = Scanner(bytes: html)
        return scanner.run()
    }

    public static func hrefs(in html: String) -> [String] {
        hrefs(in: Array(html.utf8))
    }
}

private struct Scanner {
    let bytes: [UInt8]
    var index = 0
    var links: [String] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    static let rawTextElements = Set(["script", "style", "textarea", "title"].map { Array($0.utf8) })

    mutating func run() -> [String] {
        while let open = find(UInt8(ascii: "<"), from: index) {
            index = open + 1
            guard index < bytes.count else { break }
            switch bytes[index] {
            case UInt8(ascii: "!"):
                if starts(with: "!--", at: index) {
                    guard let end = find("-->", from: index + 3) else { return links }
                    index = end + 3
                } else {
                    skipPast(UInt8(ascii: ">"))   // <!DOCTYPE ...>
                }
            case UInt8(ascii: "?"), UInt8(ascii: "/"):
                skipPast(UInt8(ascii: ">"))   // <?xml ...?>, end tags: no links in either
            case let byte where isASCIILetter(byte):
                guard readStartTag() else { return links }
            default:
                continue   // "1 < 2": text
            }
        }
        return links
    }

    /// Reads a start tag at `index` (its name's first letter); false if the page ends inside it.
    private mutating func readStartTag() -> Bool {
        let nameStart = index
        while index < bytes.count && !isSpace(bytes[index]) && bytes[index] != UInt8(ascii: "/")
            && bytes[index] != UInt8(ascii: ">") {
            index += 1
        }
        let name = lowercased(bytes[nameStart..<index])
        var href: ArraySlice<UInt8>?
        while true {
            while index < bytes.count && (isSpace(bytes[index]) || bytes[index] == UInt8(ascii: "/")) { index += 1 }
            guard index < bytes.count else { return false }
            if bytes[index] == UInt8(ascii: ">") {
                index += 1
                break
            }
            let (attribute, value) = readAttribute()
            if href == nil && attribute == Array("href".utf8) { href = value ?? [] }
        }
        if name == Array("a".utf8), let href {
            links.append(HTMLEntities.decode(href))
        }
        if Scanner.rawTextElements.contains(name) {
            // Skip to "</name", in any case; a page that never closes it has no more markup.
            var search = index
            while let open = find(UInt8(ascii: "<"), from: search) {
                if open + 1 < bytes.count && bytes[open + 1] == UInt8(ascii: "/")
                    && lowercased(bytes[(open + 2)..<min(open + 2 + name.count, bytes.count)]) == name {
                    index = open
                    return true
                }
                search = open + 1
            }
            index = bytes.count
        }
        return true
    }

    /// An attribute's name (lower case) and value, if it has one.
    private mutating func readAttribute() -> (name: [UInt8], value: ArraySlice<UInt8>?) {
        let nameStart = index
        index += 1   // a name may start with "=" or "<" (HTML5 keeps them as part of the name)
        while index < bytes.count && !isSpace(bytes[index]) && bytes[index] != UInt8(ascii: "/")
            && bytes[index] != UInt8(ascii: ">") && bytes[index] != UInt8(ascii: "=") {
            index += 1
        }
        let name = lowercased(bytes[nameStart..<index])
        var look = index
        while look < bytes.count && isSpace(bytes[look]) { look += 1 }
        guard look < bytes.count && bytes[look] == UInt8(ascii: "=") else { return (name, nil) }
        index = look + 1
        while index < bytes.count && isSpace(bytes[index]) { index += 1 }
        guard index < bytes.count else { return (name, nil) }
        let quote = bytes[index]
        if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
            let start = index + 1
            let end = find(quote, from: start) ?? bytes.count
            index = min(end + 1, bytes.count)
            return (name, bytes[start..<end])
        }
        let start = index
        while index < bytes.count && !isSpace(bytes[index]) && bytes[index] != UInt8(ascii: ">") { index += 1 }
        return (name, bytes[start..<index])
    }

    // MARK: Bytes

    private mutating func skipPast(_ byte: UInt8) {
        index = (find(byte, from: index) ?? bytes.count - 1) + 1
    }

    private func find(_ byte: UInt8, from start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        return bytes[start...].firstIndex(of: byte)
    }

    private func find(_ text: String, from start: Int) -> Int? {
        let needle = Array(text.utf8)
        var position = start
        while let candidate = find(needle[0], from: position) {
            if starts(with: text, at: candidate) { return candidate }
            position = candidate + 1
        }
        return nil
    }

    private func starts(with text: String, at position: Int) -> Bool {
        let needle = text.utf8
        guard position + needle.count <= bytes.count else { return false }
        return bytes[position..<(position + needle.count)].elementsEqual(needle)
    }

    private func lowercased(_ slice: ArraySlice<UInt8>) -> [UInt8] {
        slice.map { isASCIILetter($0) ? $0 | 0x20 : $0 }
    }

    private func isASCIILetter(_ byte: UInt8) -> Bool {
        let lower = byte | 0x20
        return lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")
    }

    private func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D
    }
}
