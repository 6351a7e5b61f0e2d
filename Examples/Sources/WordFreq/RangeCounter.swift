#if canImport(Glibc)
import Glibc
#endif

/// Reads one byte range of the corpus with `pread` and counts the words it owns.
///
/// The rule that lets ranges cut the file anywhere: a *token* is a maximal run of word bytes
/// (ASCII letters, the apostrophe, and every byte of a non-ASCII character), and a token
/// belongs to the range its first byte is in. So a range that does not start at 0 skips the
/// token it starts inside of (if the byte before it is a word byte), and the range a token
/// starts in reads past its end to finish it. Separators are ASCII, never inside a UTF-8
/// sequence, so neither side ever sees half a character; every token is counted exactly once,
/// and the words of a token do not depend on where the ranges fall.
public enum RangeCounter {
    /// Bytes read at a time: small enough to stay in a core's cache while it is scanned.
    static let blockSize = 256 << 10

    /// Counts the words that `range` of the file at `path` owns.
    public static func count(path: String, range: ByteRange) throws -> PartialCounts {
        var table = WordTable()
        let bytesRead = try withOpenFile(path) { descriptor, size in
            try count(descriptor: descriptor, path: path, range: range, fileSize: size, into: &table)
        }
        return table.partialCounts(bytesRead: bytesRead)
    }

    /// Counts the whole file in this process, on this thread: the single-process baseline.
    public static func countSequentially(path: String) throws -> WordFrequencies {
        var table = WordTable()
        try withOpenFile(path) { descriptor, size in
            _ = try count(descriptor: descriptor, path: path, range: ByteRange(start: 0, end: size),
                          fileSize: size, into: &table)
        }
        return WordFrequencies(table)
    }

    /// The size of the file at `path`, in bytes.
    public static func fileSize(_ path: String) throws -> Int {
        try withOpenFile(path) { _, size in size }
    }

    @inline(__always)
    static func isWordByte(_ byte: UInt8) -> Bool {
        byte >= 0x80 || byte == 0x27 || (byte | 0x20) &- 0x61 < 26
    }

    private static func withOpenFile<T>(_ path: String, _ body: (Int32, Int) throws -> T) throws -> T {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw WordFreqError.cannotOpen(path, errno: errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw WordFreqError.cannotOpen(path, errno: errno) }
        return try body(descriptor, Int(info.st_size))
    }

    /// Returns the bytes read.
    static func count(descriptor: Int32, path: String, range: ByteRange, fileSize: Int,
                      into table: inout WordTable) throws -> Int {
        let end = min(range.end, fileSize)
        guard range.start < end else { return 0 }  // an empty range owns no token
        var scanner = WordScanner()
        var reader = BlockReader(descriptor: descriptor, path: path)
        defer { reader.deallocate() }
        var position = range.start

        // Skip the token that started in the previous range.
        if position > 0 {
            let before = try reader.read(at: position - 1, count: 1, after: 0)
            if before == 1 && isWordByte(reader.buffer[0]) {
                skipping: while position < end {
                    let count = try reader.read(at: position, count: min(4096, end - position), after: 0)
                    if count == 0 { return reader.bytesRead }
                    for offset in 0..<count where !isWordByte(reader.buffer[offset]) {
                        position += offset
                        break skipping
                    }
                    position += count
                }
            }
        }

        // Whole blocks; the unfinished token at a block's end is carried into the next one.
        var carried = 0
        while position < end {
            // Ctrl-C during the single-process run stops it within a block.
            if Task.isCancelled { throw CancellationError() }
            let count = try reader.read(at: position, count: min(blockSize, end - position), after: carried)
            if count == 0 { break }  // the file shrank
            position += count
            let filled = carried + count
            var cut = filled
            while cut > 0 && isWordByte(reader.buffer[cut - 1]) { cut -= 1 }
            scanner.scan(UnsafeRawBufferPointer(start: reader.buffer, count: cut), into: &table)
            carried = filled - cut
            if carried > 0 { reader.buffer.update(from: reader.buffer + cut, count: carried) }
        }

        // The last token started in this range: read on to its end.
        if carried > 0 {
            while position < fileSize {
                let count = try reader.read(at: position, count: min(4096, fileSize - position), after: carried)
                if count == 0 { break }
                position += count
                if let offset = (0..<count).first(where: { !isWordByte(reader.buffer[carried + $0]) }) {
                    carried += offset
                    break
                }
                carried += count
            }
            scanner.scan(UnsafeRawBufferPointer(start: reader.buffer, count: carried), into: &table)
        }
        return reader.bytesRead
    }
}

/// A growable buffer filled by `pread`.
private struct BlockReader {
    let descriptor: Int32
    let path: String
    var buffer: UnsafeMutablePointer<UInt8>
    var capacity: Int
    var bytesRead = 0

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
        capacity = RangeCounter.blockSize + 4096
        buffer = .allocate(capacity: capacity)
    }

    func deallocate() { buffer.deallocate() }

    /// Reads up to `count` bytes at file offset `offset` into the buffer after its first
    /// `keep` bytes; returns how many it read (fewer only at the end of the file).
    mutating func read(at offset: Int, count: Int, after keep: Int) throws -> Int {
        if keep + count > capacity {
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: (keep + count) * 2)
            grown.update(from: buffer, count: keep)
            buffer.deallocate()
            buffer = grown
            capacity = (keep + count) * 2
        }
        var done = 0
        while done < count {
            let result = pread(descriptor, buffer + keep + done, count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw WordFreqError.readFailed(path, errno: errno)
            }
            if result == 0 { break }
            done += result
        }
        bytesRead += done
        return done
    }
}
