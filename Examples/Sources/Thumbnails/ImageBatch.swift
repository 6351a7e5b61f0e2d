import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// The input batch: `count` generated pictures plus the ``CorruptFile``s, named img-0000.jpg,
/// img-0001.png, ..., the damaged ones among the others. Made on first run (by a worker pool)
/// in the data directory; a marker file says it is complete.
public struct ImageBatch: Sendable {
    public var directory: String
    /// Every file's path, in name order.
    public var files: [String]
    /// The damaged files' names and what is wrong with them.
    public var corrupt: [String: CorruptFile]
    /// When the batch was made by this call: how long it took.
    public var generationSeconds: Double?

    static func fileName(index: Int, format: ImageFile.Format) -> String {
        let digits = String(index)
        return "img-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "." + format.fileExtension
    }

    /// Where the damaged files go among `total` files: one in each of as many equal blocks,
    /// 3 files into it (so the contact sheet shows the first), all distinct for any total.
    static func corruptIndices(total: Int) -> [Int] {
        let count = CorruptFile.allCases.count
        let block = max(1, total / count)
        return (0..<count).map { $0 * block + min(3, block - 1) }
    }

    /// Examples/.build-data when this program runs from its source tree, else ./.build-data.
    public static var defaultDataDirectory: String {
        let examples = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
            .dropLast(3).joined(separator: "/")
        var info = stat()
        if !examples.isEmpty, stat(examples + "/Package.swift", &info) == 0 { return examples + "/.build-data" }
        return ".build-data"
    }

    /// The batch of `count` pictures from `seed` in `dataDirectory`, made with `workers`
    /// processes if it is not there yet.
    public static func prepare(count: Int, seed: UInt64, dataDirectory: String, workers: Int?) async throws -> ImageBatch {
        // The generator's version is in the name: a changed generator makes a new batch.
        let directory = "\(dataDirectory)/thumbnails/batch-v\(SyntheticImage.version)-\(count)-seed\(seed)"
        let total = count + CorruptFile.allCases.count
        let damaged = corruptIndices(total: total)
        let kinds = Dictionary(uniqueKeysWithValues: zip(damaged, CorruptFile.allCases))
        var batch = ImageBatch(directory: directory, files: [], corrupt: [:])
        for index in 0..<total {
            let format = kinds[index]?.format ?? SyntheticImage.spec(index: index, seed: seed).format
            let name = fileName(index: index, format: format)
            batch.files.append(directory + "/" + name)
            if let kind = kinds[index] { batch.corrupt[name] = kind }
        }
        let marker = directory + "/.complete"
        if access(marker, F_OK) == 0 { return batch }

        say("generating \(count) images and \(damaged.count) damaged files in \(directory), once")
        let started = ContinuousClock.now
        try ImageFile.makeDirectories(directory)
        let pictures = (0..<total).filter { kinds[$0] == nil }
        let progress = ProgressReporter(total: pictures.count, label: "generating images")
        _ = try await withProcessPool(workers: workers) { pool in
            try await pool.map(DrawImage(directory: directory, seed: seed), pictures, chunkSize: 1, progress: progress)
        }
        progress.finish()
        for (index, kind) in kinds {
            try ImageFile.write(try kind.bytes(seed: seed), to: directory + "/" + fileName(index: index, format: kind.format))
        }
        try ImageFile.write(Array("\(count) pictures, seed \(seed)\n".utf8), to: marker)
        batch.generationSeconds = (ContinuousClock.now - started).seconds
        return batch
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
