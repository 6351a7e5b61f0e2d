import ArgumentParser
import WordFreq

/// `demos wordfreq`: word frequencies over a generated corpus, counted by worker processes
/// that each read their own byte range.
struct WordFreqCommand: Demo {
    static let configuration = CommandConfiguration(
        commandName: "wordfreq",
        abstract: "Word frequencies over a large text corpus: byte ranges counted by worker processes.",
        discussion: """
        The corpus is generated from the seed on first run (in Examples/.build-data). Each worker \
        reads its own byte ranges; the parent merges the counts. The same counting runs in one \
        process, and in Python's multiprocessing (python/wordfreq.py) if python3 is installed, \
        for comparison.
        """
    )
    static let title = "Data processing: word frequencies"
    static let fullMegabytes = 512

    @Option(help: "Worker processes (default: the CPUs available).")
    var workers: Int?

    @Option(name: .long, help: "Corpus size in MB (default: \(WordFreqDemo().megabytes); --full: \(fullMegabytes)).")
    var size: Int?

    @Flag(help: "Run at the full size (\(fullMegabytes) MB).")
    var full = false

    @Option(help: "Byte ranges, one task each (default: 4 per worker).")
    var ranges: Int?

    @Option(help: "Seed of the generated corpus.")
    var seed: UInt64 = 42

    @Option(name: .customLong("data-dir"), help: "Where the corpus is kept (default: Examples/.build-data).")
    var dataDirectory: String?

    @Option(help: "Words to list.")
    var top = 20

    @Flag(help: "Skip the Python comparison.")
    var noPython = false

    static func runDefault() async throws {
        try await WordFreqDemo().run()
    }

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let size, size < 1 { throw ValidationError("--size must be at least 1 (MB)") }
        if let ranges, ranges < 1 { throw ValidationError("--ranges must be at least 1") }
        if top < 0 { throw ValidationError("--top must not be negative") }
    }

    func run() async throws {
        var demo = WordFreqDemo()
        demo.megabytes = size ?? (full ? Self.fullMegabytes : demo.megabytes)
        demo.workers = workers
        demo.ranges = ranges
        demo.seed = seed
        demo.top = top
        demo.python = !noPython
        if let dataDirectory { demo.dataDirectory = dataDirectory }
        try await exitOnInterrupt { [demo] in try await demo.run() }
    }
}
