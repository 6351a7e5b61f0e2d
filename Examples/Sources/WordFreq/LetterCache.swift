#if canImport(Glibc)
import Glibc
#endif

/// Whether a non-ASCII character is a letter, and its lowercase UTF-8 bytes: the Unicode
/// property look-ups, done once per character of the Basic Multilingual Plane and cached.
///
/// A letter is what Python's `str.isalpha` calls one (general categories Lu, Ll, Lt, Lm, Lo),
/// and lowercasing is Unicode's full mapping without context, as `String.lowercased()` does.
final class LetterCache {
    /// One entry per BMP scalar, 0 until looked up. Byte 0: ``notLetter``, ``inlineLetter`` or
    /// ``longLetter``; byte 1: the lowercase form's length; bytes 2-7: its bytes (when inline).
    private let entries: UnsafeMutablePointer<UInt64>

    static let notLetter: UInt64 = 1
    static let inlineLetter: UInt64 = 2
    /// A letter whose lowercase form is longer than 6 bytes (rare): recomputed when met.
    static let longLetter: UInt64 = 3

    init() {
        // calloc: the 512 KB of zeroes cost nothing until touched.
        entries = calloc(0x1_0000, MemoryLayout<UInt64>.stride)!.assumingMemoryBound(to: UInt64.self)
    }

    deinit { free(entries) }

    /// The entry of a scalar (any value up to 0x10FFFF).
    @inline(__always)
    func entry(_ scalar: UInt32) -> UInt64 {
        if scalar < 0x1_0000 {
            let cached = entries[Int(scalar)]
            if cached != 0 { return cached }
            let made = Self.makeEntry(scalar)
            entries[Int(scalar)] = made
            return made
        }
        return Self.makeEntry(scalar)
    }

    /// The lowercase form's bytes, for a ``longLetter``.
    static func lowercaseBytes(_ scalar: UInt32) -> [UInt8] {
        guard let value = Unicode.Scalar(scalar) else { return [] }
        return Array(value.properties.lowercaseMapping.utf8)
    }

    private static func makeEntry(_ scalar: UInt32) -> UInt64 {
        guard let value = Unicode.Scalar(scalar), isLetter(value) else { return notLetter }
        let lower = Array(value.properties.lowercaseMapping.utf8)
        guard lower.count <= 6 else { return longLetter }
        var entry = inlineLetter | UInt64(lower.count) << 8
        for (index, byte) in lower.enumerated() { entry |= UInt64(byte) << (16 + 8 * index) }
        return entry
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }
}
