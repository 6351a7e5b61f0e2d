import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Writes a realistic text corpus: words drawn from a Zipf-like law over a ``Vocabulary``,
/// in sentences with punctuation, capitals, quotes, numbers, hyphens and dashes, wrapped at
/// about 72 columns, in paragraphs. The same seed and size give the same bytes.
///
/// Speed matters (several hundred MB on first run): text is built in a 4 MiB buffer by copying
/// bytes, and written in 4 MiB writes; no `String` is made per word.
struct CorpusWriter {
    /// Changes whenever the output for a given seed and size changes.
    static let version = 1
    static let vocabularySize = 50_000
    private static let flushSize = 4 << 20

    private let vocabulary: Vocabulary
    private let sampler: AliasSampler
    private var random: SplitMix
    private let buffer: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var column = 0

    init(seed: UInt64) {
        vocabulary = Vocabulary.make(size: Self.vocabularySize, seed: seed)
        // Zipf-Mandelbrot: the weight of rank r is 1 / (r + 2.7).
        sampler = AliasSampler(weights: (0..<vocabulary.count).map { 1 / (Double($0) + 3.7) })
        random = SplitMix(seed: seed)
        // Room for a whole paragraph past the flush mark.
        buffer = .allocate(capacity: Self.flushSize + (1 << 20))
    }

    /// Writes at least `size` bytes (ending at the end of a paragraph) to `path`, through a
    /// temporary file renamed at the end: an interrupted run leaves no half corpus behind.
    mutating func write(to path: String, size: Int, progress: ProgressReporter?) throws {
        defer { buffer.deallocate() }
        let temporary = path + ".partial"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WordFreqError.cannotWrite(temporary, errno: errno) }
        var closed = false
        defer { if !closed { close(descriptor); unlink(temporary) } }
        var written = 0
        while written + count < size {
            paragraph()
            if count >= Self.flushSize {
                try flush(descriptor, temporary)
                written += Self.flushSize
                progress?.advance(by: Self.flushSize >> 20)
                try Task.checkCancellation()
            }
        }
        try flush(descriptor, temporary)
        closed = true
        guard close(descriptor) == 0, rename(temporary, path) == 0 else {
            throw WordFreqError.cannotWrite(path, errno: errno)
        }
    }

    /// Writes the buffer's first `flushSize` bytes (all of them at the end) and keeps the rest.
    private mutating func flush(_ descriptor: Int32, _ path: String) throws {
        let length = min(count, Self.flushSize)
        var offset = 0
        while offset < length {
            let result = Glibc.write(descriptor, buffer + offset, length - offset)
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw WordFreqError.cannotWrite(path, errno: errno) }
            offset += result
        }
        (buffer).update(from: buffer + length, count: count - length)
        count -= length
    }

    // MARK: - Text

    private mutating func paragraph() {
        if random.chance(150) { emit("    ") }
        let sentences = 2 + random.below(6)
        for index in 0..<sentences {
            if index > 0 { space() }
            sentence()
        }
        emit("\n\n")
        column = 0
    }

    private mutating func sentence() {
        let quoted = random.chance(40)
        if quoted { emit("“") }
        let words = 3 + random.below(20)
        var parenthesis = false
        for index in 0..<words {
            if index > 0 { separator(&parenthesis) }
            if random.chance(12) { number() } else { word(first: index == 0) }
        }
        if parenthesis { emit(")") }
        switch random.below(1000) {
        case ..<780: emit(".")
        case ..<860: emit("?")
        case ..<920: emit("!")
        case ..<960: emit("...")
        case ..<980: emit("?!")
        default: emit("…")
        }
        if quoted { emit("”") }
    }

    private mutating func separator(_ parenthesis: inout Bool) {
        switch random.below(1000) {
        case ..<70: emit(","); space()
        case ..<80: emit(" —"); space()
        case ..<85: emit("—")  // no spaces: two words in one token, split by a non-ASCII dash
        case ..<95: emit("-")  // a compound: two words
        case ..<100: emit(";"); space()
        case ..<103: emit(":"); space()
        case ..<110 where !parenthesis: space(); emit("("); parenthesis = true
        case ..<118 where parenthesis: emit(")"); space(); parenthesis = false
        default: space()
        }
    }

    private mutating func word(first: Bool) {
        let index = sampler.draw(&random)
        let style = random.below(1000)
        let spelling: Vocabulary.Spelling =
            first || style < 20 ? .capitalized : style < 23 ? .upper : .lower
        let quoted = style >= 990  // ‘a word in single quotes’
        if quoted { emit("‘") }
        vocabulary.bytes.withUnsafeBufferPointer { bytes in
            let span = vocabulary.span(index, spelling)
            (buffer + count).update(from: bytes.baseAddress! + span.lowerBound, count: span.count)
            count += span.count
            column += span.count
        }
        switch random.below(1000) {
        case ..<10: emit("'s")  // possessive: one word with its apostrophe
        case ..<12: emit("’s")  // the same with a typographic apostrophe
        case ..<14: emit("s'")  // plural possessive: the trailing apostrophe is no part of it
        default: break
        }
        if quoted { emit("’") }
    }

    private mutating func number() {
        switch random.below(6) {
        case 0: digits(random.below(100))
        case 1: digits(1700 + random.below(330))  // a year
        case 2: digits(1 + random.below(99)); emit(","); digits3(random.below(1000))
        case 3: digits(random.below(10)); emit("."); digits(random.below(100))
        case 4: digits(1800 + 10 * random.below(23)); emit("s")  // "1990s": the s is a word
        default:
            let value = 1 + random.below(30)
            digits(value)
            switch value % 10 {
            case 1 where value != 11: emit("st")
            case 2 where value != 12: emit("nd")
            case 3 where value != 13: emit("rd")
            default: emit("th")
            }
        }
    }

    // MARK: - Bytes

    @inline(__always)
    private mutating func emit(_ text: StaticString) {
        (buffer + count).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
        column += text.utf8CodeUnitCount
    }

    /// A space, or a line break once the line is long enough.
    @inline(__always)
    private mutating func space() {
        if column >= 72 {
            emit("\n")
            column = 0
        } else {
            emit(" ")
        }
    }

    private mutating func digits(_ value: Int) {
        if value >= 10 { digits(value / 10) }
        buffer[count] = UInt8(0x30 + value % 10)
        count += 1
        column += 1
    }

    private mutating func digits3(_ value: Int) {
        if value < 100 { emit("0") }
        if value < 10 { emit("0") }
        digits(value)
    }
}
