import Testing
@testable import WordFreq

/// What a word is: letters and inner apostrophes, lowercased, in any script.
@Suite struct WordRuleTests {
    private func counts(_ text: String) async throws -> WordFrequencies {
        try await withTemporaryFile(text) { try RangeCounter.countSequentially(path: $0) }
    }

    @Test func lettersApostrophesAndCase() async throws {
        let text = "Don't stop—CAFÉ café's l’été ‘quoted’ x''y 1990s well-known 'tis dogs' "
            + "Ελλάδα ΕΛΛΆΔΑ Москва\ndon’t"
        let result = try await counts(text)
        #expect(result.counts == [
            "don't": 2, "stop": 1, "café": 1, "café's": 1, "l'été": 1, "quoted": 1, "x": 1, "y": 1, "s": 1,
            "well": 1, "known": 1, "tis": 1, "dogs": 1, "ελλάδα": 2, "москва": 1,
        ])
        #expect(result.totalWords == 17)
    }

    @Test func invalidUTF8SeparatesWords() async throws {
        try await withTemporaryDirectory { directory throws in
            let path = directory.file("bad.txt", bytes: Array("ab".utf8) + [0xFF] + Array("cd e".utf8) + [0xC3])
            let result = try RangeCounter.countSequentially(path: path)
            #expect(result.counts == ["ab": 1, "cd": 1, "e": 1])
        }
    }

    @Test func longWordsGrowTheScratchBuffer() async throws {
        let long = String(repeating: "abcdéfgh", count: 500)
        let result = try await counts("x \(long) \(long.uppercased()) y")
        #expect(result.counts == ["x": 1, long: 2, "y": 1])
    }

    @Test func emptyFileHasNoWords() async throws {
        let result = try await counts("")
        #expect(result.counts.isEmpty && result.totalWords == 0)
    }

    @Test func topBreaksTiesByCodePoint() async throws {
        let result = try await counts("b a c b a c é z z z")
        #expect(result.top(4) == [WordCount(word: "z", count: 3), WordCount(word: "a", count: 2),
                                  WordCount(word: "b", count: 2), WordCount(word: "c", count: 2)])
    }
}
