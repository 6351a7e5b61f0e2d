import Testing
@testable import WordFreq

/// Ranges may cut the file anywhere: every word is still counted once.
@Suite struct RangeBoundaryTests {
    private static let tricky = "Über naïve x''y café’s—déjà vu. ΕΛΛΆΔΑ won't\n\n  ‘Москва’ 1990s l’été"
        + " end-of-line\r\nzzz"

    private func merged(_ path: String, _ ranges: [ByteRange]) throws -> WordFrequencies {
        WordFrequencies(merging: try ranges.map { try RangeCounter.count(path: path, range: $0) })
    }

    @Test func aWordCutByABoundaryBelongsToTheRangeItStartsIn() async throws {
        try await withTemporaryFile("alpha beta gamma") { path throws in
            let first = try RangeCounter.count(path: path, range: ByteRange(start: 0, end: 3))  // "alp|ha"
            let second = try RangeCounter.count(path: path, range: ByteRange(start: 3, end: 16))
            #expect(WordFrequencies(merging: [first]).counts == ["alpha": 1])
            #expect(WordFrequencies(merging: [second]).counts == ["beta": 1, "gamma": 1])
        }
    }

    @Test func aCharacterCutByABoundaryIsNeverSplit() async throws {
        // "café" is 63 61 66 C3 A9: cut between C3 and A9.
        try await withTemporaryFile("café au lait") { path throws in
            let first = try RangeCounter.count(path: path, range: ByteRange(start: 0, end: 4))
            let second = try RangeCounter.count(path: path, range: ByteRange(start: 4, end: 13))
            #expect(WordFrequencies(merging: [first]).counts == ["café": 1])
            #expect(WordFrequencies(merging: [second]).counts == ["au": 1, "lait": 1])
        }
    }

    @Test func emptyAndInsideAWordRangesOwnNothing() async throws {
        try await withTemporaryFile("extraordinarily long") { path throws in
            #expect(try RangeCounter.count(path: path, range: ByteRange(start: 5, end: 5)).totalWords == 0)
            #expect(try RangeCounter.count(path: path, range: ByteRange(start: 3, end: 9)).totalWords == 0)
            #expect(try RangeCounter.count(path: path, range: ByteRange(start: 30, end: 40)).totalWords == 0)
        }
    }

    @Test func everySplitPointGivesTheSequentialAnswer() async throws {
        try await withTemporaryFile(Self.tricky) { path throws in
            let size = try RangeCounter.fileSize(path)
            let sequential = try RangeCounter.countSequentially(path: path)
            for cut in 0...size {
                let ranges = [ByteRange(start: 0, end: cut), ByteRange(start: cut, end: cut),
                              ByteRange(start: cut, end: size)]
                #expect(try merged(path, ranges) == sequential, "cut at \(cut)")
            }
            // And every range of one byte.
            #expect(try merged(path, (0..<size).map { ByteRange(start: $0, end: $0 + 1) }) == sequential)
        }
    }

    @Test func generatedCorpusInManyUnevenRanges() async throws {
        try await withTemporaryDirectory { directory throws in
            let path = directory.path + "/corpus.txt"
            try Corpus.generate(path: path, bytes: 300_000, seed: 7)
            let size = try RangeCounter.fileSize(path)
            let sequential = try RangeCounter.countSequentially(path: path)
            #expect(sequential.totalWords > 30_000)
            for count in [2, 7, 97, 1000] {
                #expect(try merged(path, ByteRange.split(size: size, count: count)) == sequential, "\(count) ranges")
            }
        }
    }

    @Test func splitCoversTheFileInOrder() {
        let ranges = ByteRange.split(size: 1001, count: 7)
        #expect(ranges.first?.start == 0 && ranges.last?.end == 1001)
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.end == $1.start })
        #expect(ByteRange.split(size: 3, count: 5).filter { $0.count == 0 }.count == 2)
    }
}
