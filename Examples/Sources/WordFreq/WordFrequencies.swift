/// A word and how often it occurs.
public struct WordCount: Sendable, Equatable, CustomStringConvertible {
    public var word: String
    public var count: Int

    public init(word: String, count: Int) {
        self.word = word
        self.count = count
    }

    public var description: String { "\(word): \(count)" }
}

/// The answer: every word's count over the whole corpus.
public struct WordFrequencies: Sendable, Equatable {
    /// Each distinct word (lowercased) and its count.
    public var counts: [String: Int]
    /// Words counted, with repetitions.
    public var totalWords: Int

    public init(counts: [String: Int], totalWords: Int) {
        self.counts = counts
        self.totalWords = totalWords
    }

    /// Merges the partial counts of every range (the parent's whole share of the work).
    public init(merging partials: [PartialCounts]) {
        var table = WordTable()
        for partial in partials { table.merge(partial) }
        self.init(table)
    }

    init(_ table: borrowing WordTable) {
        var counts: [String: Int] = [:]
        counts.reserveCapacity(table.distinct)
        table.forEach { word, count in counts[String(decoding: word, as: UTF8.self)] = count }
        self.init(counts: counts, totalWords: table.total)
    }

    /// The `n` most frequent words, ties broken by the words' code points (as Python's
    /// `sorted(key=lambda item: (-count, word))` does), so both sides print the same list.
    public func top(_ n: Int) -> [WordCount] {
        counts.map { WordCount(word: $0.key, count: $0.value) }
            .sorted { left, right in
                left.count != right.count ? left.count > right.count
                    : left.word.utf8.lexicographicallyPrecedes(right.word.utf8)
            }
            .prefix(n)
            .map { $0 }
    }
}
