/// The wire format shared by `BinaryEncoder` and `BinaryDecoder`.
///
/// A message is one value followed by its key table:
///
///     message    = u32 bodyLength, value (exactly bodyLength bytes), keyTable
///     keyTable   = varint count, count × (varint length, UTF-8 bytes)
///
/// Every value starts with a one-byte tag (`BinaryTag`); all fixed-width numbers are little-endian.
///
///     nil        0x00
///     bool       0x01  u8 (0 or 1)
///     int8…int64 0x02…0x05  1, 2, 4, 8 bytes (Int is int64)
///     uint8…64   0x06…0x09  1, 2, 4, 8 bytes (UInt is uint64)
///     float32    0x0A  IEEE bit pattern, 4 bytes
///     float64    0x0B  IEEE bit pattern, 8 bytes
///     string     0x0C  varint byteCount, UTF-8
///     array      0x0D  u32 bodyLength, u32 count, count × value          (unkeyed container)
///     keyed      0x0E  u32 bodyLength, n × (keyRef, value)               (keyed container)
///     typed      0x0F  u8 elementTag, varint count, count × raw element   ([Int], [Double], [UInt8], [Bool]…)
///     some       0x10  value   (marks `.some` of a nested optional, so `Int??.some(nil)` survives)
///     int128     0x11  16 bytes
///     uint128    0x12  16 bytes
///
/// A keyRef is a varint `v`: an even `v` names key string `v >> 1` of the key table (key strings are
/// interned per message, so an array of 100k structs writes each field name once); `v == 1` is an
/// integer key (as `[Int: T]` dictionaries use), followed by its zigzag varint.
///
/// Containers carry their byte length, so any value is skipped in O(1) without knowing its type.
enum BinaryTag {
    static let null: UInt8 = 0x00
    static let bool: UInt8 = 0x01
    static let int8: UInt8 = 0x02
    static let int16: UInt8 = 0x03
    static let int32: UInt8 = 0x04
    static let int64: UInt8 = 0x05
    static let uint8: UInt8 = 0x06
    static let uint16: UInt8 = 0x07
    static let uint32: UInt8 = 0x08
    static let uint64: UInt8 = 0x09
    static let float32: UInt8 = 0x0A
    static let float64: UInt8 = 0x0B
    static let string: UInt8 = 0x0C
    static let array: UInt8 = 0x0D
    static let keyed: UInt8 = 0x0E
    static let typedArray: UInt8 = 0x0F
    static let some: UInt8 = 0x10
    static let int128: UInt8 = 0x11
    static let uint128: UInt8 = 0x12

    /// The payload width of a fixed-width scalar tag, or nil for any other tag.
    @inline(__always)
    static func scalarWidth(_ tag: UInt8) -> Int? {
        switch tag {
        case bool, int8, uint8: return 1
        case int16, uint16: return 2
        case int32, uint32, float32: return 4
        case int64, uint64, float64: return 8
        case int128, uint128: return 16
        default: return nil
        }
    }

    /// A human-readable name for error messages.
    static func name(_ tag: UInt8) -> String {
        switch tag {
        case null: return "nil"
        case bool: return "Bool"
        case int8: return "Int8"
        case int16: return "Int16"
        case int32: return "Int32"
        case int64: return "Int64"
        case uint8: return "UInt8"
        case uint16: return "UInt16"
        case uint32: return "UInt32"
        case uint64: return "UInt64"
        case float32: return "Float"
        case float64: return "Double"
        case string: return "String"
        case array: return "an unkeyed container"
        case keyed: return "a keyed container"
        case typedArray: return "a typed numeric array"
        case some: return "an optional"
        case int128: return "Int128"
        case uint128: return "UInt128"
        default: return "unknown tag 0x\(String(tag, radix: 16))"
        }
    }
}

/// Limits shared by both directions.
enum BinaryLimits {
    /// Containers nested deeper than this are refused on encode and on decode, so that hostile
    /// input cannot overflow the stack.
    static let maxDepth = 512
}

/// A fixed-width value stored as its little-endian bytes under one tag.
protocol WireScalar: Sendable {
    static var wireTag: UInt8 { get }
    /// Reads the value from `MemoryLayout<Self>.size` little-endian bytes; nil if they are invalid.
    static func load(from raw: UnsafeRawBufferPointer, at offset: Int) -> Self?
    /// The little-endian storage of the value.
    var wireLittleEndian: Self { get }
}

extension WireScalar where Self: FixedWidthInteger {
    @inline(__always)
    static func load(from raw: UnsafeRawBufferPointer, at offset: Int) -> Self? {
        Self(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Self.self))
    }

    @inline(__always)
    var wireLittleEndian: Self { littleEndian }
}

extension Int8: WireScalar { static var wireTag: UInt8 { BinaryTag.int8 } }
extension Int16: WireScalar { static var wireTag: UInt8 { BinaryTag.int16 } }
extension Int32: WireScalar { static var wireTag: UInt8 { BinaryTag.int32 } }
extension Int64: WireScalar { static var wireTag: UInt8 { BinaryTag.int64 } }
extension UInt8: WireScalar { static var wireTag: UInt8 { BinaryTag.uint8 } }
extension UInt16: WireScalar { static var wireTag: UInt8 { BinaryTag.uint16 } }
extension UInt32: WireScalar { static var wireTag: UInt8 { BinaryTag.uint32 } }
extension UInt64: WireScalar { static var wireTag: UInt8 { BinaryTag.uint64 } }

@available(macOS 15.0, *)
extension Int128: WireScalar { static var wireTag: UInt8 { BinaryTag.int128 } }
@available(macOS 15.0, *)
extension UInt128: WireScalar { static var wireTag: UInt8 { BinaryTag.uint128 } }

extension Float: WireScalar {
    static var wireTag: UInt8 { BinaryTag.float32 }
    @inline(__always)
    static func load(from raw: UnsafeRawBufferPointer, at offset: Int) -> Float? {
        Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }
    @inline(__always)
    var wireLittleEndian: Float { Float(bitPattern: bitPattern.littleEndian) }
}

extension Double: WireScalar {
    static var wireTag: UInt8 { BinaryTag.float64 }
    @inline(__always)
    static func load(from raw: UnsafeRawBufferPointer, at offset: Int) -> Double? {
        Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
    }
    @inline(__always)
    var wireLittleEndian: Double { Double(bitPattern: bitPattern.littleEndian) }
}

extension Bool: WireScalar {
    static var wireTag: UInt8 { BinaryTag.bool }
    @inline(__always)
    static func load(from raw: UnsafeRawBufferPointer, at offset: Int) -> Bool? {
        switch raw[offset] {
        case 0: return false
        case 1: return true
        default: return nil
        }
    }
    @inline(__always)
    var wireLittleEndian: Bool { self }
}

/// Marks `Optional`, so the coders can tell a nested optional from its payload.
protocol BinaryOptionalMarker {}
extension Optional: BinaryOptionalMarker {}

/// The coding key used for elements of unkeyed containers in coding paths.
struct BinaryIndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { return nil }
}

/// The key under which `superEncoder()` / `superDecoder()` store the superclass.
struct BinarySuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) { guard stringValue == "super" else { return nil } }
    init?(intValue: Int) { return nil }
}

enum BinaryStrings {
    /// True if both strings have the same representation in memory: then they are equal byte for byte
    /// (small strings hold their bytes inline; large ones share one immutable storage, kept alive by
    /// both). A fast, sufficient test for key identity; use `utf8Equal` when it fails.
    @inline(__always)
    static func sameRepresentation(_ a: String, _ b: String) -> Bool {
        withUnsafeBytes(of: a) { ra in
            withUnsafeBytes(of: b) { rb in
                if ra.count == 16 {
                    return ra.loadUnaligned(as: UInt64.self) == rb.loadUnaligned(as: UInt64.self)
                        && ra.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                            == rb.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                }
                return ra.elementsEqual(rb)
            }
        }
    }

    /// Byte-exact comparison (unlike `==`, which treats canonically equivalent strings as equal).
    @inline(__always)
    static func utf8Equal(_ a: String, _ b: String) -> Bool {
        if sameRepresentation(a, b) { return true }
        var a = a
        var b = b
        return a.withUTF8 { pa in
            b.withUTF8 { pb in
                pa.count == pb.count && pa.elementsEqual(pb)
            }
        }
    }

    /// Byte-exact comparison of a string with raw bytes.
    @inline(__always)
    static func utf8Equal(_ a: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var a = a
        return a.withUTF8 { pa in
            pa.count == bytes.count && pa.elementsEqual(bytes)
        }
    }
}

/// A string compared and hashed by its exact UTF-8 bytes, for interning coding keys.
struct ExactString: Hashable {
    let string: String

    static func == (lhs: ExactString, rhs: ExactString) -> Bool {
        BinaryStrings.utf8Equal(lhs.string, rhs.string)
    }

    func hash(into hasher: inout Hasher) {
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

@inline(__always)
func zigzagEncode(_ value: Int64) -> UInt64 {
    UInt64(bitPattern: (value << 1) ^ (value >> 63))
}

@inline(__always)
func zigzagDecode(_ value: UInt64) -> Int64 {
    Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
}
