/// One range's counts, as a task returns them: every distinct word's bytes back to back, with
/// parallel arrays of lengths and counts.
///
/// Three flat arrays encode in three bulk copies, where a `[String: Int]` would cost a
/// String, a hash and a dictionary slot per word on both sides of the channel.
public struct PartialCounts: Codable, Sendable, Equatable {
    /// The words' UTF-8 bytes (lowercased), one after another.
    public var text: [UInt8] = []
    /// Each word's length in bytes, in the order of `text`.
    public var lengths: [UInt32] = []
    /// Each word's count.
    public var counts: [UInt64] = []
    /// Words counted, with repetitions.
    public var totalWords = 0
    /// Bytes the task read from the file (its range, plus the end of a word it finished).
    public var bytesRead = 0

    public init() {}
}

extension WordTable {
    /// The table's content, flattened for the trip to the parent.
    func partialCounts(bytesRead: Int) -> PartialCounts {
        var partial = PartialCounts()
        partial.lengths.reserveCapacity(distinct)
        partial.counts.reserveCapacity(distinct)
        forEach { word, count in
            partial.text.append(contentsOf: word)
            partial.lengths.append(UInt32(word.count))
            partial.counts.append(UInt64(count))
        }
        partial.totalWords = total
        partial.bytesRead = bytesRead
        return partial
    }

    /// Adds a task's counts to this table.
    mutating func merge(_ partial: PartialCounts) {
        // `add` reads 8 bytes past a word: pad the text once.
        let padded = partial.text + [UInt8](repeating: 0, count: 8)
        padded.withUnsafeBufferPointer { text in
            var word = text.baseAddress!
            for position in partial.lengths.indices {
                let length = Int(partial.lengths[position])
                add(word, length: length, occurrences: partial.counts[position])
                word += length
            }
        }
    }
}
