import Multiprocessing

/// The job: one image file in, one thumbnail file out. Only the path travels; the worker reads
/// and writes the files itself.
///
/// A corrupt file throws the codec's error, which fails this item alone (`mapResults`).
public struct MakeThumbnail: Job {
    public var outputDirectory: String
    public var settings: ThumbnailSettings

    public init(outputDirectory: String, settings: ThumbnailSettings = ThumbnailSettings()) {
        self.outputDirectory = outputDirectory
        self.settings = settings
    }

    public func run(_ input: String) async throws -> Thumbnail {
        try ThumbnailPipeline.process(input: input, outputDirectory: outputDirectory, settings: settings)
    }
}
