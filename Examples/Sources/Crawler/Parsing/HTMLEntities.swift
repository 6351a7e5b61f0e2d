/// Decodes character references in an attribute value: `&amp;`, `&lt;`, `&gt;`, `&quot;`,
/// `&apos;`, `&nbsp;`, and numeric ones (`&#47;`, `&#x2F;`). Named references need their `;`
/// (so a query's `&lang=en` stays as it is, as in browsers); unknown names are kept literally.
///
/// **A deliberate trap.** This decoder assumes that a numeric reference names a Unicode scalar
/// value, and stops the program (`fatalError`) when one does not. HTML5 replaces those (UTF-16
/// surrogates such as `&#xD800;`, values past U+10FFFF) with U+FFFD; this one traps instead.
/// That is the kind of latent assumption real parsers carry, and it is left in on purpose: one
/// page of the test site contains `&#xD800;` in a link, and the crawl shows that in a worker
/// process the trap costs that one page, reported with its "Fatal error" line, while the crawl
/// goes on. (Run in the parent, or on a thread, it would end the whole crawl.)
enum HTMLEntities {
    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "&"), let found = reference(in: bytes, at: index) else {
                output.append(byte)
                index += 1
                continue
            }
            output.append(contentsOf: Array(String(Character(found.scalar)).utf8))
            index = found.end
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static let named: [String: Unicode.Scalar] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
    ]

    /// The scalar of the reference starting at `start` (an `&`) and the index after it.
    private static func reference(in bytes: ArraySlice<UInt8>, at start: Int) -> (scalar: Unicode.Scalar, end: Int)? {
        var index = start + 1
        guard index < bytes.endIndex else { return nil }
        if bytes[index] == UInt8(ascii: "#") {
            index += 1
            let hex = index < bytes.endIndex && (bytes[index] | 0x20) == UInt8(ascii: "x")
            if hex { index += 1 }
            let digitsStart = index
            var value: UInt32 = 0
            while index < bytes.endIndex, let digit = digitValue(bytes[index], hex: hex) {
                // Saturate rather than overflow: a huge value is out of range all the same.
                value = min(value * (hex ? 16 : 10) + digit, 0x11_0000)
                index += 1
            }
            guard index > digitsStart else { return nil }
            if index < bytes.endIndex && bytes[index] == UInt8(ascii: ";") { index += 1 }
            // The documented assumption (see above). `fatalError` rather than `!`, so that the
            // trap says what it is in an optimised build too (`-O` drops the message of a `!`).
            guard let scalar = Unicode.Scalar(value) else {
                fatalError("character reference &#\(value); names no Unicode scalar, which this parser assumes it does")
            }
            return (scalar, index)
        }
        var end = index
        while end < bytes.endIndex, end - index < 8, isASCIIAlphanumeric(bytes[end]) { end += 1 }
        guard end < bytes.endIndex, bytes[end] == UInt8(ascii: ";"),
              let scalar = named[String(decoding: bytes[index..<end], as: UTF8.self)] else { return nil }
        return (scalar, end + 1)
    }

    private static func digitValue(_ byte: UInt8, hex: Bool) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            || byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
