// Fast paths of the binary coder: values of the types below skip `encode(to:)` / `init(from:)`.
// Scalars and `String` are written directly; arrays of fixed-width numbers and `[Bool]` are written as
// one typed block (tag, element tag, count, raw little-endian bytes) and read back with one copy.
// The checks run in the generic `encode<T>` / `decode<T>` entry points of every container, so a
// struct field of type `[Float]` or a top-level `[Int]` takes them too.

/// A type with a fast path. Found from `T.self` without generic metadata look-ups: `MemoryLayout`
/// first, then identities (comparing `T.self` with `[Int].self` would look up the metadata of `[Int]`
/// in the runtime's cache on every call, and returning `T?` from generic code would do the same for
/// `Optional<T>`).
enum BinaryFastKind: UInt8 {
    case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float, double
    case int128, uint128, string
    case arrayBool, arrayInt, arrayInt8, arrayInt16, arrayInt32, arrayInt64
    case arrayUInt, arrayUInt8, arrayUInt16, arrayUInt32, arrayUInt64, arrayFloat, arrayDouble

    var isArray: Bool { rawValue >= BinaryFastKind.arrayBool.rawValue }

    @inline(__always)
    init?<T>(_ type: T.Type) {
        switch MemoryLayout<T>.size {
        case 8:
            if T.self == Int.self { self = .int; return }
            if T.self == Double.self { self = .double; return }
            if T.self == Int64.self { self = .int64; return }
            if T.self == UInt64.self { self = .uint64; return }
            if T.self == UInt.self { self = .uint; return }
            guard let kind = binaryFastArrayTypes.kind(of: ObjectIdentifier(T.self)) else { return nil }
            self = kind
        case 16:
            if T.self == String.self { self = .string; return }
            if #available(macOS 15.0, *) {
                if T.self == Int128.self { self = .int128; return }
                if T.self == UInt128.self { self = .uint128; return }
            }
            return nil
        case 4:
            if T.self == Float.self { self = .float; return }
            if T.self == Int32.self { self = .int32; return }
            if T.self == UInt32.self { self = .uint32; return }
            return nil
        case 2:
            if T.self == Int16.self { self = .int16; return }
            if T.self == UInt16.self { self = .uint16; return }
            return nil
        case 1:
            if T.self == Bool.self { self = .bool; return }
            if T.self == UInt8.self { self = .uint8; return }
            if T.self == Int8.self { self = .int8; return }
            return nil
        default:
            return nil
        }
    }
}

/// The identities of the array types with a fast path, computed once.
struct BinaryFastArrayTypes: Sendable {
    let uint8 = ObjectIdentifier([UInt8].self)
    let int = ObjectIdentifier([Int].self)
    let double = ObjectIdentifier([Double].self)
    let float = ObjectIdentifier([Float].self)
    let bool = ObjectIdentifier([Bool].self)
    let int64 = ObjectIdentifier([Int64].self)
    let int32 = ObjectIdentifier([Int32].self)
    let int16 = ObjectIdentifier([Int16].self)
    let int8 = ObjectIdentifier([Int8].self)
    let uint = ObjectIdentifier([UInt].self)
    let uint64 = ObjectIdentifier([UInt64].self)
    let uint32 = ObjectIdentifier([UInt32].self)
    let uint16 = ObjectIdentifier([UInt16].self)

    @inline(__always)
    func kind(of id: ObjectIdentifier) -> BinaryFastKind? {
        if id == uint8 { return .arrayUInt8 }
        #if _pointerBitWidth(_64)
        if id == int { return .arrayInt }
        if id == uint { return .arrayUInt }
        #endif
        if id == double { return .arrayDouble }
        if id == float { return .arrayFloat }
        if id == bool { return .arrayBool }
        if id == int64 { return .arrayInt64 }
        if id == int32 { return .arrayInt32 }
        if id == int16 { return .arrayInt16 }
        if id == int8 { return .arrayInt8 }
        if id == uint64 { return .arrayUInt64 }
        if id == uint32 { return .arrayUInt32 }
        if id == uint16 { return .arrayUInt16 }
        return nil
    }
}

let binaryFastArrayTypes = BinaryFastArrayTypes()

extension BinaryEncodingState {
    /// Writes `value` if it is of a type with a fast path; false otherwise.
    @inline(__always)
    func encodeFast<T: Encodable>(_ value: T) -> Bool {
        guard let kind = BinaryFastKind(T.self) else { return false }
        encodeFast(value, kind: kind)
        return true
    }

    func encodeFast<T: Encodable>(_ value: T, kind: BinaryFastKind) {
        switch kind {
        case .bool: writeScalar(unsafeBitCast(value, to: Bool.self))
        case .int: writeScalar(Int64(unsafeBitCast(value, to: Int.self)))
        case .int8: writeScalar(unsafeBitCast(value, to: Int8.self))
        case .int16: writeScalar(unsafeBitCast(value, to: Int16.self))
        case .int32: writeScalar(unsafeBitCast(value, to: Int32.self))
        case .int64: writeScalar(unsafeBitCast(value, to: Int64.self))
        case .uint: writeScalar(UInt64(unsafeBitCast(value, to: UInt.self)))
        case .uint8: writeScalar(unsafeBitCast(value, to: UInt8.self))
        case .uint16: writeScalar(unsafeBitCast(value, to: UInt16.self))
        case .uint32: writeScalar(unsafeBitCast(value, to: UInt32.self))
        case .uint64: writeScalar(unsafeBitCast(value, to: UInt64.self))
        case .float: writeScalar(unsafeBitCast(value, to: Float.self))
        case .double: writeScalar(unsafeBitCast(value, to: Double.self))
        case .int128:
            if #available(macOS 15.0, *) { writeScalar(unsafeBitCast(value, to: Int128.self)) }
        case .uint128:
            if #available(macOS 15.0, *) { writeScalar(unsafeBitCast(value, to: UInt128.self)) }
        case .string: writeString(unsafeBitCast(value, to: String.self))
        case .arrayBool: writeTypedArray(unsafeBitCast(value, to: [Bool].self), tag: BinaryTag.bool)
        case .arrayInt: writeTypedArray(unsafeBitCast(value, to: [Int].self), tag: BinaryTag.int64)
        case .arrayInt8: writeTypedArray(unsafeBitCast(value, to: [Int8].self), tag: BinaryTag.int8)
        case .arrayInt16: writeTypedArray(unsafeBitCast(value, to: [Int16].self), tag: BinaryTag.int16)
        case .arrayInt32: writeTypedArray(unsafeBitCast(value, to: [Int32].self), tag: BinaryTag.int32)
        case .arrayInt64: writeTypedArray(unsafeBitCast(value, to: [Int64].self), tag: BinaryTag.int64)
        case .arrayUInt: writeTypedArray(unsafeBitCast(value, to: [UInt].self), tag: BinaryTag.uint64)
        case .arrayUInt8: writeTypedArray(unsafeBitCast(value, to: [UInt8].self), tag: BinaryTag.uint8)
        case .arrayUInt16: writeTypedArray(unsafeBitCast(value, to: [UInt16].self), tag: BinaryTag.uint16)
        case .arrayUInt32: writeTypedArray(unsafeBitCast(value, to: [UInt32].self), tag: BinaryTag.uint32)
        case .arrayUInt64: writeTypedArray(unsafeBitCast(value, to: [UInt64].self), tag: BinaryTag.uint64)
        case .arrayFloat: writeTypedArray(unsafeBitCast(value, to: [Float].self), tag: BinaryTag.float32)
        case .arrayDouble: writeTypedArray(unsafeBitCast(value, to: [Double].self), tag: BinaryTag.float64)
        }
    }

    /// Tag, element tag, count, then the elements' bytes in one copy. `E` must be stored exactly as
    /// its wire form (a fixed-width number or Bool).
    @inline(__always)
    func writeTypedArray<E>(_ array: [E], tag elementTag: UInt8) {
        writer.write(BinaryTag.typedArray)
        writer.write(elementTag)
        writer.writeVarint(array.count)
        #if _endian(little)
        array.withUnsafeBytes { writer.write(raw: $0) }
        #else
        let width = MemoryLayout<E>.size
        array.withUnsafeBytes { raw in
            for offset in stride(from: 0, to: raw.count, by: width) {
                writer.write(contentsOf: raw[offset..<(offset + width)].reversed())
            }
        }
        #endif
    }
}

extension BinaryDecodingState {
    /// Reads a value of fast-path kind `kind` (which must be the kind of `T`) whose tag, already read
    /// with `position` just after it, is `tag`. For array kinds the tag must be `typedArray`.
    func decodeFast<T: Decodable>(
        _ type: T.Type,
        kind: BinaryFastKind,
        tag: UInt8,
        _ position: inout Int,
        limit: Int,
        path: @autoclosure () -> BinaryPathComponent
    ) throws -> T {
        switch kind {
        case .bool: return try scalar(Bool.self, as: T.self, tag, &position, limit, path())
        case .int:
            let value: Int = try Self.narrow(try readScalar(Int64.self, tag: tag, &position, limit: limit, path: path()))
            return unsafeBitCast(value, to: T.self)
        case .int8: return try scalar(Int8.self, as: T.self, tag, &position, limit, path())
        case .int16: return try scalar(Int16.self, as: T.self, tag, &position, limit, path())
        case .int32: return try scalar(Int32.self, as: T.self, tag, &position, limit, path())
        case .int64: return try scalar(Int64.self, as: T.self, tag, &position, limit, path())
        case .uint:
            let value: UInt = try Self.narrow(try readScalar(UInt64.self, tag: tag, &position, limit: limit, path: path()))
            return unsafeBitCast(value, to: T.self)
        case .uint8: return try scalar(UInt8.self, as: T.self, tag, &position, limit, path())
        case .uint16: return try scalar(UInt16.self, as: T.self, tag, &position, limit, path())
        case .uint32: return try scalar(UInt32.self, as: T.self, tag, &position, limit, path())
        case .uint64: return try scalar(UInt64.self, as: T.self, tag, &position, limit, path())
        case .float: return try scalar(Float.self, as: T.self, tag, &position, limit, path())
        case .double: return try scalar(Double.self, as: T.self, tag, &position, limit, path())
        case .int128:
            guard #available(macOS 15.0, *) else { throw mismatch(T.self, found: tag, path: path()) }
            return try scalar(Int128.self, as: T.self, tag, &position, limit, path())
        case .uint128:
            guard #available(macOS 15.0, *) else { throw mismatch(T.self, found: tag, path: path()) }
            return try scalar(UInt128.self, as: T.self, tag, &position, limit, path())
        case .string:
            guard tag == BinaryTag.string else { throw mismatch(String.self, found: tag, path: path()) }
            return unsafeBitCast(try readString(&position, limit: limit), to: T.self)
        case .arrayBool: return try typedArray(Bool.self, as: T.self, &position, limit, path())
        case .arrayInt: return try typedArray(Int.self, as: T.self, wireTag: BinaryTag.int64, &position, limit, path())
        case .arrayInt8: return try typedArray(Int8.self, as: T.self, &position, limit, path())
        case .arrayInt16: return try typedArray(Int16.self, as: T.self, &position, limit, path())
        case .arrayInt32: return try typedArray(Int32.self, as: T.self, &position, limit, path())
        case .arrayInt64: return try typedArray(Int64.self, as: T.self, &position, limit, path())
        case .arrayUInt: return try typedArray(UInt.self, as: T.self, wireTag: BinaryTag.uint64, &position, limit, path())
        case .arrayUInt8: return try typedArray(UInt8.self, as: T.self, &position, limit, path())
        case .arrayUInt16: return try typedArray(UInt16.self, as: T.self, &position, limit, path())
        case .arrayUInt32: return try typedArray(UInt32.self, as: T.self, &position, limit, path())
        case .arrayUInt64: return try typedArray(UInt64.self, as: T.self, &position, limit, path())
        case .arrayFloat: return try typedArray(Float.self, as: T.self, &position, limit, path())
        case .arrayDouble: return try typedArray(Double.self, as: T.self, &position, limit, path())
        }
    }

    @inline(__always)
    private func scalar<S: WireScalar, T>(
        _ type: S.Type,
        as result: T.Type,
        _ tag: UInt8,
        _ position: inout Int,
        _ limit: Int,
        _ path: @autoclosure () -> BinaryPathComponent
    ) throws -> T {
        unsafeBitCast(try readScalar(S.self, tag: tag, &position, limit: limit, path: path()), to: T.self)
    }

    @inline(__always)
    private func typedArray<S: WireScalar, T>(
        _ type: S.Type,
        as result: T.Type,
        _ position: inout Int,
        _ limit: Int,
        _ path: @autoclosure () -> BinaryPathComponent
    ) throws -> T {
        try typedArray(S.self, as: T.self, wireTag: S.wireTag, &position, limit, path())
    }

    /// Reads a typed block of `E` (stored as `wireTag`) with one copy.
    private func typedArray<E, T>(
        _ type: E.Type,
        as result: T.Type,
        wireTag: UInt8,
        _ position: inout Int,
        _ limit: Int,
        _ path: @autoclosure () -> BinaryPathComponent
    ) throws -> T {
        let kind = try byte(at: position, limit: limit)
        guard kind == wireTag else {
            guard BinaryTag.scalarWidth(kind) != nil else {
                throw WireError.unexpectedByte(kind, context: "the element kind of a typed array")
            }
            throw DecodingError.typeMismatch(
                [E].self,
                DecodingError.Context(
                    codingPath: codingPath(prefix: self.path.count, nested: nil, plus: path()),
                    debugDescription: "expected an array of \(BinaryTag.name(wireTag)) but found one of \(BinaryTag.name(kind))"
                )
            )
        }
        position += 1
        let width = MemoryLayout<E>.stride
        let count = try readCount(&position, limit: limit, unitSize: width)
        let start = position
        if wireTag == BinaryTag.bool {
            let valid = bytes.withUnsafeBufferPointer { buffer in
                !buffer[start..<(start + count)].contains { $0 > 1 }
            }
            guard valid else { throw WireError.malformed("a Bool in a typed array is neither 0 nor 1") }
        }
        position += count * width
        #if _endian(little)
        return unsafeBitCast(readRawArray(E.self, count: count, at: start), to: T.self)
        #else
        var array = readRawArray(E.self, count: count, at: start)
        array.withUnsafeMutableBytes { raw in
            for offset in stride(from: 0, to: raw.count, by: width) {
                raw[offset..<(offset + width)].reverse()
            }
        }
        return unsafeBitCast(array, to: T.self)
        #endif
    }
}

// MARK: - Arrays of any element

/// `Array`, coded without going through `Array`'s own `encode(to:)` / `init(from:)` and the
/// `UnkeyedEncodingContainer` existential: the same bytes (a tagged array), less overhead per element,
/// and a decoded array reserved to its (checked) count up front.
protocol BinaryArrayCoding {
    func binaryEncodeElements(into state: BinaryEncodingState, depth: Int) throws
    static func binaryDecode(from container: inout BinaryUnkeyedDecodingContainer) throws -> Self
}

extension Array: BinaryArrayCoding {
    func binaryEncodeElements(into state: BinaryEncodingState, depth: Int) throws {
        guard let encodable = Element.self as? any Encodable.Type else {
            throw EncodingError.invalidValue(
                self,
                EncodingError.Context(codingPath: state.codingPath(depth: depth), debugDescription: "\(Element.self) is not Encodable")
            )
        }
        try encodeElements(encodable, into: state, depth: depth)
    }

    private func encodeElements<E: Encodable>(_: E.Type, into state: BinaryEncodingState, depth: Int) throws {
        let elements = unsafeBitCast(self, to: [E].self)
        // An index loop: `enumerated()` would build tuple metadata per element in unspecialized code.
        var index = 0
        while index < elements.count {
            state.frames[depth].count = index + 1
            try state.encodeValue(elements[index], depth: depth + 1, path: .index(index))
            index += 1
            if state.frames.count != depth + 1 {
                try state.closeFrames(downTo: depth + 1)
            }
        }
    }

    static func binaryDecode(from container: inout BinaryUnkeyedDecodingContainer) throws -> Self {
        guard let decodable = Element.self as? any Decodable.Type else {
            throw DecodingError.typeMismatch(
                Self.self,
                DecodingError.Context(codingPath: container.codingPath, debugDescription: "\(Element.self) is not Decodable")
            )
        }
        return try decodeElements(decodable, from: &container)
    }

    private static func decodeElements<E: Decodable>(_: E.Type, from container: inout BinaryUnkeyedDecodingContainer) throws -> Self {
        var elements: [E] = []
        elements.reserveCapacity(container.elementCount)  // checked: at most one element per byte
        while !container.isAtEnd {
            elements.append(try container.decode(E.self))
        }
        return unsafeBitCast(elements, to: Self.self)
    }
}

extension BinaryEncodingState {
    /// `value` (of type `T`, which is `A`, an `Array`) as a tagged array.
    func encodeArray<T, A: BinaryArrayCoding>(_ value: T, _ arrayType: A.Type, depth: Int, path: BinaryPathComponent) throws {
        guard depth <= BinaryLimits.maxDepth else {
            throw EncodingError.invalidValue(
                value,
                EncodingError.Context(
                    codingPath: codingPath(depth: frames.count),
                    debugDescription: "values nested deeper than \(BinaryLimits.maxDepth) levels"
                )
            )
        }
        let id = pushFrame(kind: .slot, path: path)
        _ = openContainer(depth: depth, id: id, kind: .unkeyed)
        try unsafeBitCast(value, to: A.self).binaryEncodeElements(into: self, depth: depth)
        try closeFrames(downTo: depth)
    }
}

extension BinaryDecodingState {
    /// The tagged array in `start..<end` as `T`, which is `A`, an `Array`.
    func decodeArray<T, A: BinaryArrayCoding>(
        _ arrayType: A.Type,
        as type: T.Type,
        start: Int,
        end: Int,
        path component: BinaryPathComponent
    ) throws -> T {
        guard depth <= BinaryLimits.maxDepth else {
            throw WireError.malformed("values nested deeper than \(BinaryLimits.maxDepth) levels")
        }
        depth += 1
        path.append(component)
        defer {
            depth -= 1
            path.removeLast()
        }
        var container = try makeUnkeyed(start: start, end: end, level: depth, nested: nil)
        return unsafeBitCast(try A.binaryDecode(from: &container), to: T.self)
    }
}
