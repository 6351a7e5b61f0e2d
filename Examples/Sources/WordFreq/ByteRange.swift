/// A slice of the corpus file, `start..<end` in bytes: what one task counts.
///
/// The parent computes ranges from the file's size alone; it never reads the data. Each worker
/// aligns its range itself (see ``RangeCounter``), so the ranges may cut words and multi-byte
/// characters anywhere.
public struct ByteRange: Codable, Sendable, Hashable, CustomStringConvertible {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        precondition(start >= 0 && end >= start, "a byte range needs 0 <= start <= end")
        self.start = start
        self.end = end
    }

    public var count: Int { end - start }

    public var description: String { "\(start)..<\(end)" }

    /// `count` ranges of (nearly) equal length covering `0..<size`: range i is
    /// `i*size/count ..< (i+1)*size/count`, the same formula as the Python peer's.
    public static func split(size: Int, count: Int) -> [ByteRange] {
        let count = max(1, count)
        return (0..<count).map { index in
            ByteRange(start: index * size / count, end: (index + 1) * size / count)
        }
    }
}
