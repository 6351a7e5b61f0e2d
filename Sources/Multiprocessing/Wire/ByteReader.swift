/// A bounds-checked little-endian reader over a byte array: every read throws on short input,
/// and no length read from the input is trusted beyond the bytes that remain.
struct ByteReader: Sendable {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position >= end }

    @inline(__always)
    private mutating func require(_ n: Int) throws(WireError) {
        guard n >= 0, n <= end - position else {
            throw WireError.truncated(needed: n, remaining: end - position)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        try require(size)
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: T.self) }
        position += size
        return T(littleEndian: value)
    }

    mutating func readByte() throws(WireError) -> UInt8 {
        try require(1)
        let value = bytes[position]
        position += 1
        return value
    }

    mutating func readBool() throws(WireError) -> Bool {
        switch try readByte() {
        case 0: return false
        case 1: return true
        case let other: throw WireError.unexpectedByte(other, context: "a Bool")
        }
    }

    mutating func readDouble() throws(WireError) -> Double {
        Double(bitPattern: try read(UInt64.self))
    }

    mutating func readFloat() throws(WireError) -> Float {
        Float(bitPattern: try read(UInt32.self))
    }

    mutating func readVarint() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            if shift == 63 && byte > 1 {
                throw WireError.malformed("varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw WireError.malformed("varint longer than 10 bytes") }
        }
    }

    /// A varint used as a count or length: it must fit in what remains, `unitSize` bytes per unit.
    mutating func readLength(unitSize: Int = 1) throws(WireError) -> Int {
        let claimed = try readVarint()
        let limit = remaining / max(unitSize, 1)
        guard claimed <= UInt64(limit) else {
            throw WireError.lengthTooLarge(claimed: claimed, limit: limit)
        }
        return Int(claimed)
    }

    mutating func readBytes(count: Int) throws(WireError) -> [UInt8] {
        try require(count)
        let slice = Array(bytes[position..<(position + count)])
        position += count
        return slice
    }

    /// The range of the next `count` bytes, skipped without copying.
    mutating func skip(count: Int) throws(WireError) -> Range<Int> {
        try require(count)
        defer { position += count }
        return position..<(position + count)
    }

    mutating func readLengthPrefixed() throws(WireError) -> [UInt8] {
        try readBytes(count: try readLength())
    }

    mutating func readString() throws(WireError) -> String {
        let count = try readLength()
        let range = try skip(count: count)
        let decoded: String? = bytes.withUnsafeBufferPointer { buffer in
            String(validating: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
        }
        guard let decoded else { throw WireError.invalidUTF8 }
        return decoded
    }

    /// Lets `body` read `count` bytes in place.
    mutating func withBytes<R>(count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let range = try skip(count: count)
        return try bytes.withUnsafeBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[range]))
        }
    }
}
