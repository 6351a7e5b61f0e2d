/// Splits text into words and counts them: the inner loop of the whole program.
///
/// A word is a run of letters, with single apostrophes (`'` or `’`) allowed between two
/// letters (`don't`, `l’été`; the quotes in `'tis'` are not part of it), lowercased. ASCII
/// letters take a fast path of one comparison per byte; other characters are decoded from
/// UTF-8 and looked up in a ``LetterCache``. Nothing is allocated per word.
///
/// Noncopyable, and its state held in locals while it scans: no dynamic exclusivity checks in
/// the loop (see ``WordTable``).
struct WordScanner: ~Copyable {
    private let letters = LetterCache()
    /// The word being read, lowercased.
    private var buffer: UnsafeMutablePointer<UInt8>
    /// Bytes a word may fill before the buffer grows; the allocation has 8 more for the hash.
    private var bufferCapacity = 1024

    init() {
        buffer = .allocate(capacity: bufferCapacity + 8)
    }

    deinit { buffer.deallocate() }

    /// Counts the words of `text` into `table`. `text` must end where a word may end (before an
    /// ASCII separator, or at the end of the file): a word is never carried from one call to the next.
    mutating func scan(_ text: UnsafeRawBufferPointer, into table: inout WordTable) {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var word = buffer
        var wordCapacity = bufferCapacity
        defer {
            buffer = word
            bufferCapacity = wordCapacity
        }
        let end = text.count
        var index = 0
        var length = 0
        var apostrophePending = false
        while index < end {
            let byte = base[index]
            // An ASCII letter: the case of nine bytes in ten.
            if (byte | 0x20) &- 0x61 < 26 {
                if length &+ 16 > wordCapacity { (word, wordCapacity) = Self.grow(word, wordCapacity) }
                if apostrophePending {
                    word[length] = 0x27
                    length &+= 1
                    apostrophePending = false
                }
                word[length] = byte | 0x20
                length &+= 1
                index &+= 1
                continue
            }
            if byte < 0x80 {
                if byte == 0x27 && length > 0 && !apostrophePending {
                    apostrophePending = true
                } else if length > 0 {
                    table.add(word, length: length)
                    length = 0
                    apostrophePending = false
                }
                index &+= 1
                continue
            }
            let (scalar, size) = Self.decode(base, at: index, end: end)
            index &+= size
            if scalar == 0x2019 {  // RIGHT SINGLE QUOTATION MARK, the typographic apostrophe
                if length > 0 && !apostrophePending {
                    apostrophePending = true
                } else if length > 0 {
                    table.add(word, length: length)
                    length = 0
                    apostrophePending = false
                }
                continue
            }
            let entry = scalar == Self.invalid ? LetterCache.notLetter : letters.entry(scalar)
            let kind = entry & 0xFF
            if kind == LetterCache.notLetter {
                if length > 0 {
                    table.add(word, length: length)
                    length = 0
                    apostrophePending = false
                }
                continue
            }
            if length &+ 32 > wordCapacity { (word, wordCapacity) = Self.grow(word, wordCapacity) }
            if apostrophePending {
                word[length] = 0x27
                length &+= 1
                apostrophePending = false
            }
            if kind == LetterCache.inlineLetter {
                let count = Int((entry >> 8) & 0xFF)
                for offset in 0..<count {
                    word[length &+ offset] = UInt8(truncatingIfNeeded: entry >> (16 + 8 * UInt64(offset)))
                }
                length &+= count
            } else {
                for byte in LetterCache.lowercaseBytes(scalar) {
                    if length &+ 16 > wordCapacity { (word, wordCapacity) = Self.grow(word, wordCapacity) }
                    word[length] = byte
                    length &+= 1
                }
            }
        }
        if length > 0 { table.add(word, length: length) }
    }

    /// A buffer of twice the capacity holding the same bytes (the old one is freed).
    private static func grow(_ word: UnsafeMutablePointer<UInt8>, _ capacity: Int) -> (UnsafeMutablePointer<UInt8>, Int) {
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2 + 8)
        grown.update(from: word, count: capacity)
        word.deallocate()
        return (grown, capacity * 2)
    }

    static let invalid: UInt32 = 0xFFFF_FFFF

    /// The scalar starting at `index` and its length in bytes; ``invalid`` and 1 for a byte
    /// that does not start a well-formed UTF-8 sequence (it then acts as a separator, as the
    /// U+FFFD that Python's `decode(errors="replace")` puts there does).
    @inline(__always)
    static func decode(_ bytes: UnsafePointer<UInt8>, at index: Int, end: Int) -> (UInt32, Int) {
        let lead = UInt32(bytes[index])
        @inline(__always) func continuation(_ offset: Int) -> UInt32? {
            guard index + offset < end else { return nil }
            let byte = UInt32(bytes[index + offset])
            return byte & 0xC0 == 0x80 ? byte & 0x3F : nil
        }
        switch lead {
        case 0xC2...0xDF:
            if let first = continuation(1) { return ((lead & 0x1F) << 6 | first, 2) }
        case 0xE0...0xEF:
            if let first = continuation(1), let second = continuation(2) {
                let scalar = (lead & 0x0F) << 12 | first << 6 | second
                // Overlong forms and surrogates are not characters.
                if scalar >= 0x800 && !(0xD800...0xDFFF).contains(scalar) { return (scalar, 3) }
            }
        case 0xF0...0xF4:
            if let first = continuation(1), let second = continuation(2), let third = continuation(3) {
                let scalar = (lead & 0x07) << 18 | first << 12 | second << 6 | third
                if (0x1_0000...0x10_FFFF).contains(scalar) { return (scalar, 4) }
            }
        default:
            break
        }
        return (invalid, 1)
    }
}
