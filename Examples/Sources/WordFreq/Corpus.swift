import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// The corpus file: found in the data directory, or generated there on first run.
public enum Corpus {
    /// Examples/.build-data when this program runs from its source tree (`swift run`), else
    /// ./.build-data. Either way a `.build*` directory, which git ignores.
    public static var defaultDataDirectory: String {
        let examples = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
            .dropLast(3).joined(separator: "/")
        var info = stat()
        if !examples.isEmpty, stat(examples + "/Package.swift", &info) == 0 { return examples + "/.build-data" }
        return ".build-data"
    }

    /// The corpus of `megabytes` MB from `seed` in `directory`, generated if it is missing.
    /// - Returns: its path, and the seconds spent generating it (nil if it was there).
    public static func prepare(megabytes: Int, seed: UInt64, directory: String) throws -> (path: String, generated: Double?) {
        let folder = directory + "/wordfreq"
        try makeDirectories(folder)
        // The generator's version is in the name: a changed generator makes a new file.
        let path = "\(folder)/corpus-v\(CorpusWriter.version)-\(megabytes)MB-seed\(seed).txt"
        if access(path, R_OK) == 0 { return (path, nil) }
        say("generating \(path) (\(megabytes) MB, seed \(seed)), once")
        let started = ContinuousClock.now
        let progress = ProgressReporter(total: megabytes, label: "generating corpus (MB)")
        var writer = CorpusWriter(seed: seed)
        try writer.write(to: path, size: megabytes << 20, progress: progress)
        progress.finish()
        return (path, (ContinuousClock.now - started).seconds)
    }

    /// Writes a corpus of `bytes` bytes (at least) from `seed` to `path`, without a progress line.
    public static func generate(path: String, bytes: Int, seed: UInt64) throws {
        var writer = CorpusWriter(seed: seed)
        try writer.write(to: path, size: bytes, progress: nil)
    }

    /// `mkdir -p`.
    public static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw WordFreqError.cannotWrite(prefix, errno: errno) }
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
