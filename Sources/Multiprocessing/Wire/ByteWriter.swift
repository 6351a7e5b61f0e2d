/// An append-only little-endian byte buffer: the one place where wire bytes are written.
struct ByteWriter: Sendable {
    private(set) var bytes: [UInt8]

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func write(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    mutating func write(_ value: Double) {
        write(value.bitPattern)
    }

    mutating func write(_ value: Float) {
        write(value.bitPattern)
    }

    /// LEB128: 7 bits a byte, low bits first.
    mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func writeVarint(_ value: Int) {
        writeVarint(UInt64(value))
    }

    mutating func write(raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
    }

    mutating func write(contentsOf other: some Sequence<UInt8>) {
        bytes.append(contentsOf: other)
    }

    /// A length-prefixed (varint) byte string.
    mutating func writeLengthPrefixed(_ other: [UInt8]) {
        writeVarint(other.count)
        bytes.append(contentsOf: other)
    }

    /// A length-prefixed (varint) UTF-8 string.
    mutating func write(_ string: String) {
        var copy = string
        copy.withUTF8 { utf8 in
            writeVarint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    /// Reserves four bytes for a value known only later; returns where to patch it.
    mutating func reserveUInt32() -> Int {
        let at = bytes.count
        write(UInt32(0))
        return at
    }

    mutating func patchUInt32(at offset: Int, _ value: UInt32) {
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
        }
    }

    /// Appends `count` bytes and lets `body` fill them in place.
    mutating func append(uninitializedCount count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBytes { raw in
            body(UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + count)]))
        }
    }

    mutating func reserveCapacity(_ n: Int) {
        bytes.reserveCapacity(n)
    }

    /// Drops everything written after the first `count` bytes (undoes a failed write).
    mutating func truncate(to count: Int) {
        guard count < bytes.count else { return }
        bytes.removeSubrange(max(count, 0)...)
    }

    func finish() -> [UInt8] { bytes }
}
