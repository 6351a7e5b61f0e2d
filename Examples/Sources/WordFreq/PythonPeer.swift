import Foundation

/// What Examples/python/wordfreq.py reports (its JSON on standard output).
public struct PythonReport: Decodable, Sendable {
    public struct Entry: Decodable, Sendable {
        public var word: String
        public var count: Int
    }

    /// From the pool's start to the merged counts, measured inside Python.
    public var seconds: Double
    public var workers: Int
    public var ranges: Int
    public var totalWords: Int
    public var distinctWords: Int
    public var top: [Entry]

    public var topCounts: [WordCount] { top.map { WordCount(word: $0.word, count: $0.count) } }
}

/// Runs the same algorithm in Python with `multiprocessing`, for the comparison.
public enum PythonPeer {
    /// Examples/python/wordfreq.py, next to these sources.
    public static var script: String {
        String(#filePath).split(separator: "/", omittingEmptySubsequences: false).dropLast(3)
            .joined(separator: "/") + "/python/wordfreq.py"
    }

    /// `python3` on the PATH, if there is one.
    public static var interpreter: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/python3" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static var isAvailable: Bool {
        interpreter != nil && FileManager.default.fileExists(atPath: script)
    }

    public enum Failure: Error, CustomStringConvertible {
        case unavailable

        public var description: String { "python3 or \(PythonPeer.script) is missing" }
    }

    /// Runs wordfreq.py on `corpus`; cancelling the task stops it and its workers.
    /// - Parameter all: Report every word's count, not only the `top`.
    public static func run(corpus: String, workers: Int, ranges: Int, top: Int, all: Bool = false)
        async throws -> PythonReport {
        guard let interpreter, FileManager.default.fileExists(atPath: script) else { throw Failure.unavailable }
        let output = try await CapturedProcess.run(
            [interpreter, script, corpus, "--workers", "\(workers)", "--ranges", "\(ranges)", "--top", "\(top)"]
                + (all ? ["--all"] : []))
        try Task.checkCancellation()
        return try JSONDecoder().decode(PythonReport.self, from: Data(output))
    }
}
