import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// What `demos wordfreq` does, with its settings.
public struct WordFreqDemo: Sendable {
    /// The corpus's size in MB (2^20 bytes).
    public var megabytes = 128
    public var seed: UInt64 = 42
    /// Worker processes (default: the CPUs this process may use).
    public var workers: Int?
    /// Byte ranges, one task each (default: 4 per worker, as Python's `map` makes 4 chunks per worker).
    public var ranges: Int?
    public var dataDirectory = Corpus.defaultDataDirectory
    /// Also run the Python peer, if python3 is installed.
    public var python = true
    public var top = 20

    public init() {}

    /// Prepares the corpus, counts it three ways (worker pool, one process, Python), and prints
    /// the answer and the figures.
    public func run() async throws {
        let (path, generated) = try Corpus.prepare(megabytes: megabytes, seed: seed, directory: dataDirectory)
        let size = try RangeCounter.fileSize(path)
        let workers = workers ?? ProcessPool.availableCPUs
        let ranges = ByteRange.split(size: size, count: ranges ?? 4 * workers)
        say("corpus: \(path), \(Formatting.fixed(Double(size) / 1e6, 1)) MB"
              + (generated.map { ", generated in \(Formatting.fixed($0, 1)) s" } ?? ""))

        // The pool first: if the file is not in the page cache, the pool pays for reading it.
        let parallelStart = ContinuousClock.now
        let parallel: WordFrequencies = try await withProcessPool(workers: workers) { pool in
            let progress = ProgressReporter(total: ranges.count, label: "counting ranges")
            defer { progress.finish() }
            // Merge each range's counts as it arrives, while the workers count the others.
            var table = WordTable()
            for try await partial in try pool.imapUnordered(CountWords(path: path), ranges, progress: progress) {
                table.merge(partial)
            }
            return WordFrequencies(table)
        }
        let parallelSeconds = (ContinuousClock.now - parallelStart).seconds

        let sequentialStart = ContinuousClock.now
        let sequential = try RangeCounter.countSequentially(path: path)
        let sequentialSeconds = (ContinuousClock.now - sequentialStart).seconds

        let python: PythonReport?
        if self.python && PythonPeer.isAvailable {
            say("running the Python peer (python/wordfreq.py, \(workers) processes)...")
            python = try await PythonPeer.run(corpus: path, workers: workers, ranges: ranges.count, top: top)
        } else {
            python = nil
        }

        let top = parallel.top(top)
        printTop(top)
        say("\(Formatting.grouped(parallel.totalWords)) words, \(Formatting.grouped(parallel.counts.count)) distinct")
        say()
        let words = Double(parallel.totalWords)
        func row(_ name: String, _ seconds: Double) {
            say(Formatting.padded(name, 26)
                  + Formatting.padded(Formatting.fixed(seconds, 3) + " s", 11, right: true)
                  + Formatting.padded(Formatting.rate(words / seconds), 11, right: true)
                  + Formatting.padded(Formatting.fixed(Double(size) / 1e6 / seconds, 1), 10, right: true)
                  + Formatting.padded(Formatting.fixed(sequentialSeconds / seconds, 2) + "x", 10, right: true))
        }
        say(Formatting.padded("", 26) + Formatting.padded("time", 11, right: true)
              + Formatting.padded("words/s", 11, right: true) + Formatting.padded("MB/s", 10, right: true)
              + Formatting.padded("vs 1 proc", 10, right: true))
        row("Swift, 1 process", sequentialSeconds)
        row("Swift, \(workers) workers (\(ranges.count) ranges)", parallelSeconds)
        if let python { row("Python, \(python.workers) processes", python.seconds) }
        say()
        say("speedup over one process: \(Formatting.fixed(sequentialSeconds / parallelSeconds, 2))x")
        if let python {
            say("speedup over Python multiprocessing: \(Formatting.fixed(python.seconds / parallelSeconds, 1))x")
        }
        say("parallel answer equals the single-process one: \(parallel == sequential ? "yes" : "NO")")
        if let python {
            let same = python.topCounts == top && python.totalWords == parallel.totalWords
                && python.distinctWords == parallel.counts.count
            say("Python's answer (top \(top.count), totals) equals ours: \(same ? "yes" : "NO")")
        } else if self.python {
            say("(python3 not found: the Python comparison was skipped)")
        }
    }

    private func printTop(_ top: [WordCount]) {
        let width = max(8, top.map(\.word.count).max() ?? 0)
        say("top \(top.count) words:")
        for (rank, entry) in top.enumerated() {
            say(Formatting.padded("\(rank + 1)", 4, right: true) + "  " + Formatting.padded(entry.word, width)
                  + Formatting.padded(Formatting.grouped(entry.count), 14, right: true))
        }
    }
}
