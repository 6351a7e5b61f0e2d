import ArgumentParser
import Thumbnails

/// `demos thumbnails`: a batch of images made into thumbnails by worker processes, damaged
/// files failing alone.
struct ThumbnailsCommand: Demo {
    static let configuration = CommandConfiguration(
        commandName: "thumbnails",
        abstract: "Image processing: thumbnails of a batch of PNGs and JPEGs, by worker processes.",
        discussion: """
        The batch is generated from the seed on first run (in Examples/.build-data), with a few \
        damaged files among the pictures. Each file is decoded (libpng, libjpeg-turbo), turned \
        gray, shrunk to fit 160x120, blurred and written out; a damaged file fails its own item \
        with the decoder's message. The same work then runs in one process, for comparison, and \
        a contact sheet of the first thumbnails is written.
        """
    )
    static let title = "Image processing: thumbnails"
    static let fullCount = 2000

    @Option(help: "Worker processes (default: the CPUs available).")
    var workers: Int?

    @Option(name: .long, help: "Pictures in the batch (default: \(ThumbnailsDemo().count); --full: \(fullCount)).")
    var size: Int?

    @Flag(help: "Run at the full size (\(fullCount) pictures).")
    var full = false

    @Option(help: "Seed of the generated batch.")
    var seed: UInt64 = 7

    @Option(name: .customLong("data-dir"), help: "Where the batch and the thumbnails go (default: Examples/.build-data).")
    var dataDirectory: String?

    @Option(help: "Also write the contact sheet to this path.")
    var sheet: String?

    @Option(help: "Thumbnails on the contact sheet.")
    var sheetCells = 60

    static func runDefault() async throws {
        try await ThumbnailsDemo().run()
    }

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let size, size < 1 { throw ValidationError("--size must be at least 1") }
        if sheetCells < 1 { throw ValidationError("--sheet-cells must be at least 1") }
    }

    func run() async throws {
        var demo = ThumbnailsDemo()
        demo.count = size ?? (full ? Self.fullCount : demo.count)
        demo.workers = workers
        demo.seed = seed
        demo.sheetPath = sheet
        demo.sheetCells = sheetCells
        if let dataDirectory { demo.dataDirectory = dataDirectory }
        try await exitOnInterrupt { [demo] in try await demo.run() }
    }
}
