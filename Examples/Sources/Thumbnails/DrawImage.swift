import Multiprocessing

/// The job that makes the batch on first run: draws picture `index`, encodes it and writes it.
/// Encoding hundreds of PNGs and JPEGs is itself worth a pool.
public struct DrawImage: Job {
    public var directory: String
    public var seed: UInt64

    public init(directory: String, seed: UInt64) {
        self.directory = directory
        self.seed = seed
    }

    /// - Returns: the file's size in bytes.
    public func run(_ index: Int) async throws -> Int {
        let (image, format) = SyntheticImage.draw(index: index, seed: seed)
        let bytes = try ImageFile.encode(image, format: format)
        try ImageFile.write(bytes, to: directory + "/" + ImageBatch.fileName(index: index, format: format))
        return bytes.count
    }
}
