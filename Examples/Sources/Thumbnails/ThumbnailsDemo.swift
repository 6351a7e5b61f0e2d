import Foundation
import Multiprocessing

/// What `demos thumbnails` does, with its settings.
public struct ThumbnailsDemo: Sendable {
    /// Pictures in the batch (the damaged files come on top).
    public var count = 500
    public var seed: UInt64 = 7
    /// Worker processes (default: the CPUs this process may use).
    public var workers: Int?
    public var dataDirectory = ImageBatch.defaultDataDirectory
    /// Also write the contact sheet here.
    public var sheetPath: String?
    /// Thumbnails on the contact sheet (the first ones), and its columns.
    public var sheetCells = 60
    public var sheetColumns = 10
    public var settings = ThumbnailSettings()

    public init() {}

    public func run() async throws {
        let batch = try await ImageBatch.prepare(count: count, seed: seed, dataDirectory: dataDirectory, workers: workers)
        let workers = workers ?? ProcessPool.availableCPUs
        let inputBytes = batch.files.reduce(0) { $0 + Self.fileSize($1) }
        say("batch: \(batch.directory), \(batch.files.count) files (\(batch.corrupt.count) damaged), "
              + "\(Self.fixed(Double(inputBytes) / 1e6, 1)) MB"
              + (batch.generationSeconds.map { ", generated in \(Self.fixed($0, 1)) s" } ?? ""))

        let base = "\(dataDirectory)/thumbnails/out-\(count)-seed\(seed)"
        let parallelOutput = base + "/pool"
        let sequentialOutput = base + "/one-process"
        try ImageFile.makeDirectories(parallelOutput)
        try ImageFile.makeDirectories(sequentialOutput)

        // The pool: every file is one item; a damaged one fails alone.
        let parallelStart = ContinuousClock.now
        let results = try await withProcessPool(workers: workers) { pool in
            let progress = ProgressReporter(total: batch.files.count, label: "thumbnails, \(workers) workers")
            defer { progress.finish() }
            return try await pool.mapResults(MakeThumbnail(outputDirectory: parallelOutput, settings: settings),
                                             batch.files, chunkSize: 1, progress: progress)
        }
        let parallelSeconds = (ContinuousClock.now - parallelStart).seconds

        // The same work in this process, one image after another.
        let sequentialStart = ContinuousClock.now
        let progress = ProgressReporter(total: batch.files.count, label: "thumbnails, 1 process")
        var sequential: [Result<Thumbnail, CodecError>] = []
        for file in batch.files {
            try Task.checkCancellation()
            let result = Result { () throws(CodecError) -> Thumbnail in
                try ThumbnailPipeline.process(input: file, outputDirectory: sequentialOutput, settings: settings)
            }
            sequential.append(result)
            progress.advance(failed: (try? result.get()) == nil ? 1 : 0)
        }
        progress.finish()
        let sequentialSeconds = (ContinuousClock.now - sequentialStart).seconds

        let thumbnails = results.compactMap { try? $0.get() }
        let failures = zip(batch.files, results).compactMap { file, result -> (String, JobFailure)? in
            if case let .failure(failure) = result { return (file, failure) }
            return nil
        }
        say("\(thumbnails.count) thumbnails, \(failures.count) failed:")
        for (file, failure) in failures {
            let name = file.split(separator: "/").last.map(String.init) ?? file
            say("  \(name): \(Self.cause(failure))")
        }

        let outputBytes = thumbnails.reduce(0) { $0 + $1.outputBytes }
        let sheet = try makeSheet(batch: batch, results: results, outputDirectory: parallelOutput)
        say("thumbnails in \(parallelOutput) (\(Self.fixed(Double(outputBytes) / 1e6, 1)) MB); contact sheet: \(sheet)")
        say()
        let images = Double(batch.files.count)
        let megabytes = Double(inputBytes) / 1e6
        // Decoded pixels say more about the work than compressed bytes do.
        let megapixels = Double(thumbnails.reduce(0) { $0 + $1.sourceWidth * $1.sourceHeight }) / 1e6
        func row(_ name: String, _ seconds: Double) {
            say(Self.padded(name, 22) + Self.padded(Self.fixed(seconds, 2) + " s", 10, right: true)
                  + Self.padded(Self.fixed(images / seconds, 1), 11, right: true)
                  + Self.padded(Self.fixed(megabytes / seconds, 1), 9, right: true)
                  + Self.padded(Self.fixed(megapixels / seconds, 1), 12, right: true)
                  + Self.padded(Self.fixed(sequentialSeconds / seconds, 2) + "x", 10, right: true))
        }
        say("\(Self.fixed(megapixels, 1)) megapixels decoded")
        say(Self.padded("", 22) + Self.padded("time", 10, right: true) + Self.padded("images/s", 11, right: true)
              + Self.padded("MB/s in", 9, right: true) + Self.padded("Mpixels/s", 12, right: true)
              + Self.padded("speedup", 10, right: true))
        row("1 process", sequentialSeconds)
        row("\(workers) worker processes", parallelSeconds)
        say()
        say("speedup over one process: \(Self.fixed(sequentialSeconds / parallelSeconds, 2))x")
        let same = zip(results, sequential).allSatisfy { pool, alone in
            switch (pool, alone) {
            case let (.success(a), .success(b)): return a == b
            case (.failure, .failure): return true
            default: return false
            }
        }
        say("the pool's thumbnails equal the single process's (checksums, failures): \(same ? "yes" : "NO")")
    }

    /// The contact sheet of the first thumbnails, read back from the output directory.
    private func makeSheet(batch: ImageBatch, results: [Result<Thumbnail, JobFailure>],
                           outputDirectory: String) throws -> String {
        var cells: [Image?] = []
        for result in results.prefix(sheetCells) {
            guard case let .success(thumbnail) = result,
                  let format = ImageFile.Format(path: thumbnail.name),
                  let bytes = try? ImageFile.read(outputDirectory + "/" + thumbnail.name),
                  let image = try? ImageFile.decode(bytes, format: format, channels: 1) else {
                cells.append(nil)
                continue
            }
            cells.append(image)
        }
        let png = try PNGCodec.encode(ContactSheet.make(cells, columns: sheetColumns,
                                                        cellWidth: settings.boxWidth, cellHeight: settings.boxHeight))
        let path = "\(dataDirectory)/thumbnails/contact-sheet-\(count)-seed\(seed).png"
        try ImageFile.write(png, to: path)
        if let sheetPath {
            try ImageFile.write(png, to: sheetPath)
            return "\(path), copied to \(sheetPath) (\(png.count / 1024) KB)"
        }
        return "\(path) (\(png.count / 1024) KB)"
    }

    /// The codec's message for a failure that threw; the failure's own words otherwise.
    static func cause(_ failure: JobFailure) -> String {
        if case let .threw(errorType, message) = failure.reason {
            return "\(message) (\(errorType.split(separator: ".").last ?? ""))"
        }
        return failure.reason.description
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    static func fixed(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

    static func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
