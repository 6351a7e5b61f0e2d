import Foundation
import Multiprocessing
import Testing
@testable import WordFreq

/// The real thing: worker processes counting ranges, and the Python peer.
@Suite struct PoolAndPeerTests {
    @Test(.timeLimit(.minutes(1)))
    func workerPoolGivesTheSequentialAnswer() async throws {
        try await withTemporaryDirectory { directory throws in
            let path = directory.path + "/corpus.txt"
            try Corpus.generate(path: path, bytes: 400_000, seed: 11)
            let size = try RangeCounter.fileSize(path)
            // Uneven ranges, two of them empty, boundaries wherever they fall.
            let ranges = ByteRange.split(size: size, count: 13)
                + [ByteRange(start: size, end: size), ByteRange(start: 0, end: 0)]
            let partials = try await withProcessPool(workers: 2) { pool in
                try await pool.map(CountWords(path: path), ranges, chunkSize: 1)
            }
            let parallel = WordFrequencies(merging: partials)
            #expect(parallel == (try RangeCounter.countSequentially(path: path)))
        }
    }

    @Test(.enabled(if: PythonPeer.isAvailable, "python3 or python/wordfreq.py is missing"), .timeLimit(.minutes(1)))
    func pythonCountsEqualOurs() async throws {
        try await withTemporaryDirectory { directory throws in
            let path = directory.path + "/corpus.txt"
            try Corpus.generate(path: path, bytes: 300_000, seed: 3)
            let ours = try RangeCounter.countSequentially(path: path)
            let python = try await PythonPeer.run(corpus: path, workers: 2, ranges: 9, top: 0, all: true)
            #expect(python.totalWords == ours.totalWords)
            #expect(python.distinctWords == ours.counts.count)
            #expect(Dictionary(uniqueKeysWithValues: python.top.map { ($0.word, $0.count) }) == ours.counts)
            #expect(Array(python.topCounts.prefix(20)) == ours.top(20))
        }
    }

    @Test func theGeneratorIsDeterministic() async throws {
        try await withTemporaryDirectory { directory throws in
            for (name, seed) in [("a", 5), ("b", 5), ("c", 6)] as [(String, UInt64)] {
                try Corpus.generate(path: directory.path + "/\(name).txt", bytes: 100_000, seed: seed)
            }
            let bytes = { (name: String) in FileManager.default.contents(atPath: directory.path + "/\(name).txt") }
            #expect(bytes("a") == bytes("b") && bytes("a") != bytes("c"))
            let a = try RangeCounter.countSequentially(path: directory.path + "/a.txt")
            #expect(a.top(3).map(\.word) == ["the", "of", "and"])
            // Some words are not ASCII.
            #expect(a.counts.keys.contains { $0.utf8.contains { $0 >= 0x80 } })
        }
    }
}
