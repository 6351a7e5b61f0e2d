import Multiprocessing

/// The job: count the words one byte range of the corpus owns.
///
/// Only the file's path and the range travel to the worker; the worker reads the bytes itself,
/// and sends back its range's distinct words and counts (about 2 MB for the 100,000 distinct
/// words of a 67 MB range at full size: the words repeat, the bytes do not travel).
public struct CountWords: Job {
    public var path: String

    public init(path: String) {
        self.path = path
    }

    public func run(_ range: ByteRange) async throws -> PartialCounts {
        try RangeCounter.count(path: path, range: range)
    }
}
