/// Decodes `Decodable` values from the binary format `BinaryEncoder` writes (see `BinaryFormat.swift`).
///
/// Foundation's `JSONDecoder` is far too slow for shipping jobs between processes, and no available
/// package provides a fast stdlib-only binary `Decoder`, hence this one.
///
/// The input is untrusted: every length and count is checked against the bytes that remain, nesting
/// is limited to 512 levels, and no path traps. Errors:
/// - `WireError` for bytes that are not a well-formed message: truncation, an unknown tag, a length
///   or count larger than the input, invalid UTF-8, too deep nesting, trailing bytes.
/// - `DecodingError` for a well-formed message that does not match the type asked for:
///   `.typeMismatch` (a value of another kind, e.g. a String where an Int32 is asked for; integer
///   widths must match exactly), `.valueNotFound` (nil where a value is required, or an unkeyed
///   container at its end) and `.keyNotFound`.
///
/// Keys are usually read in the order they were written; that case costs one comparison per key.
/// Other orders, `contains`, missing keys and `allKeys` work too, by scanning (and, after a few
/// misses, by indexing) the container's entries.
public struct BinaryDecoder: Sendable {
    /// A decoder; it holds no state between calls.
    public init() {}

    /// Decodes one message that must fill `bytes` exactly.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        var reader = ByteReader(bytes)
        let value = try decode(type, from: &reader)
        guard reader.isAtEnd else {
            throw WireError.malformed("\(reader.remaining) trailing bytes after the message")
        }
        return value
    }

    /// Decodes one message at the reader's position and moves the reader past it.
    func decode<T: Decodable>(_ type: T.Type, from reader: inout ByteReader) throws -> T {
        let bytes = reader.bytes
        let end = min(reader.end, bytes.count)
        var position = reader.position
        guard position >= 0, position <= end else {
            throw WireError.truncated(needed: 4, remaining: 0)
        }
        let state = BinaryDecodingState(bytes: bytes)
        let bodyLength = Int(try state.readUInt32(&position, limit: end))
        guard bodyLength <= end - position else {
            throw WireError.lengthTooLarge(claimed: UInt64(bodyLength), limit: end - position)
        }
        let bodyStart = position
        let bodyEnd = position + bodyLength
        var tableEnd = bodyEnd
        try state.readKeyTable(&tableEnd, limit: end)
        let valueEnd = try state.valueEnd(from: bodyStart, limit: bodyEnd)
        guard valueEnd == bodyEnd else {
            throw WireError.malformed("message body holds \(bodyEnd - valueEnd) bytes after its value")
        }
        let value = try state.decodeValue(T.self, start: bodyStart, end: bodyEnd, path: .none)
        if let error = state.deferredError { throw error }
        _ = try reader.skip(count: tableEnd - reader.position)
        return value
    }
}

/// The coding path of a container reached through `nestedContainer` or `superDecoder`, beyond the
/// decoder's path (a class reference, so that plain containers, which have none, copy cheaply).
final class BinaryNestedPath {
    let components: [BinaryPathComponent]

    init(_ components: [BinaryPathComponent]) {
        self.components = components
    }

    static func appending(_ path: BinaryNestedPath?, _ component: BinaryPathComponent) -> BinaryNestedPath {
        BinaryNestedPath((path?.components ?? []) + [component])
    }
}

/// A key as written in a keyed container.
enum BinaryKeyRef: Equatable {
    case string(Int)  // index into the key table
    case int(Int64)
}

/// A requested key in the form the encoder writes it.
enum BinaryCanonicalKey {
    case string(String)
    case int(Int64)

    @inline(__always)
    init<K: CodingKey>(_ key: K) {
        let string = key.stringValue
        if let int = key.intValue, string == String(int) {
            self = .int(Int64(int))
        } else {
            self = .string(string)
        }
    }
}

/// The mutable part of a keyed decoding container, kept in the decoder state (containers are
/// structs with non-mutating methods). A newer container at the same level takes the slot over; the
/// older one then works by scanning.
struct BinaryKeyedHint {
    var id: UInt32 = 0
    /// Where the next entry is expected: just after the last one decoded.
    var cursor: Int = 0
    var misses: Int = 0
    var stringIndex: [ExactString: Int]?
    var intIndex: [Int64: Int]?
}

/// The per-call state of one decode.
final class BinaryDecodingState {
    let bytes: [UInt8]
    @exclusivity(unchecked) private(set) var keys: [String] = []
    /// For each key, the string it last matched (often a literal in the caller's `CodingKeys`), kept
    /// alive here, so that comparing with it again is one comparison of representations.
    @exclusivity(unchecked) private var keyAliases: [String] = []
    /// Values being decoded through `init(from:)` right now: the recursion depth.
    @exclusivity(unchecked) var depth = 0
    @exclusivity(unchecked) var path: [BinaryPathComponent] = []
    /// Made on first use: messages without keyed containers never pay for it.
    @exclusivity(unchecked) var hints: [BinaryKeyedHint] = []
    static let hintSlots = 16
    @exclusivity(unchecked) private var lastHintID: UInt32 = 0
    /// An error met where the `Decoder` API cannot throw (`allKeys`, `contains`); thrown at the end.
    @exclusivity(unchecked) private(set) var deferredError: (any Error)?

    func record(_ error: any Error) {
        if deferredError == nil { deferredError = error }
    }

    /// Builds an index of a keyed container after this many lookups missed the expected position.
    static let missesBeforeIndex = 4

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    // MARK: Raw reads (every read is bounded by `limit`, itself never beyond `bytes.count`)

    @inline(__always)
    func byte(at position: Int, limit: Int) throws(WireError) -> UInt8 {
        guard position < limit else { throw WireError.truncated(needed: 1, remaining: 0) }
        return bytes.withUnsafeBufferPointer { $0[position] }
    }

    @inline(__always)
    func readUInt32(_ position: inout Int, limit: Int) throws(WireError) -> UInt32 {
        guard limit - position >= 4 else {
            throw WireError.truncated(needed: 4, remaining: limit - position)
        }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: UInt32.self) }
        position += 4
        return UInt32(littleEndian: value)
    }

    @inline(__always)
    func readVarint(_ position: inout Int, limit: Int) throws(WireError) -> UInt64 {
        let first = try byte(at: position, limit: limit)
        if first < 0x80 {
            position += 1
            return UInt64(first)
        }
        return try readLongVarint(&position, limit: limit)
    }

    private func readLongVarint(_ position: inout Int, limit: Int) throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try byte(at: position, limit: limit)
            position += 1
            if shift == 63 && byte > 1 {
                throw WireError.malformed("varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw WireError.malformed("varint longer than 10 bytes") }
        }
    }

    /// A count of units of `unitSize` bytes that must fit before `limit`.
    @inline(__always)
    func readCount(_ position: inout Int, limit: Int, unitSize: Int) throws(WireError) -> Int {
        let claimed = try readVarint(&position, limit: limit)
        let fits = (limit - position) / unitSize
        guard claimed <= UInt64(fits) else {
            throw WireError.lengthTooLarge(claimed: claimed, limit: fits)
        }
        return Int(claimed)
    }

    /// The tag of the value at `position`, after any `some` markers; `position` moves past it.
    @inline(__always)
    func tag(_ position: inout Int, limit: Int) throws(WireError) -> UInt8 {
        var tag = try byte(at: position, limit: limit)
        position += 1
        while tag == BinaryTag.some {
            tag = try byte(at: position, limit: limit)
            position += 1
        }
        return tag
    }

    /// Reads the payload of a scalar whose tag was `tag`.
    @inline(__always)
    func readScalar<S: WireScalar>(
        _ type: S.Type,
        tag: UInt8,
        _ position: inout Int,
        limit: Int,
        path: @autoclosure () -> BinaryPathComponent
    ) throws -> S {
        guard tag == S.wireTag else {
            throw mismatch(S.self, found: tag, path: path())
        }
        let size = MemoryLayout<S>.size
        guard limit - position >= size else {
            throw WireError.truncated(needed: size, remaining: limit - position)
        }
        let value = bytes.withUnsafeBytes { S.load(from: $0, at: position) }
        guard let value else {
            throw WireError.unexpectedByte(bytes[position], context: "a Bool")
        }
        position += size
        return value
    }

    /// Reads the string payload (after its tag).
    @inline(__always)
    func readString(_ position: inout Int, limit: Int) throws(WireError) -> String {
        let count = try readCount(&position, limit: limit, unitSize: 1)
        let start = position
        let decoded: String? = bytes.withUnsafeBufferPointer { buffer in
            let utf8 = UnsafeBufferPointer(rebasing: buffer[start..<(start + count)])
            // ASCII (the common case) is valid UTF-8 as it is: skip the general validation.
            if Self.isASCII(utf8) { return String(decoding: utf8, as: UTF8.self) }
            return String(validating: utf8, as: UTF8.self)
        }
        guard let decoded else { throw WireError.invalidUTF8 }
        position += count
        return decoded
    }

    @inline(__always)
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        var high: UInt64 = 0
        while offset + 8 <= bytes.count {
            high |= raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < bytes.count {
            high |= UInt64(base[offset])
            offset += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// Reads `count` raw little-endian elements of `width` bytes into an array with one copy.
    func readRawArray<E>(_ type: E.Type, count: Int, at position: Int) -> [E] {
        let byteCount = count * MemoryLayout<E>.stride
        return [E](unsafeUninitializedCapacity: count) { buffer, initialized in
            if byteCount > 0 {
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: raw[position..<(position + byteCount)])
                    )
                }
            }
            initialized = count
        }
    }

    // MARK: Structure

    /// The end of the value that starts at `start`, without decoding it: O(1) for every kind.
    func valueEnd(from start: Int, limit: Int) throws(WireError) -> Int {
        var position = start
        let tag = try tag(&position, limit: limit)
        let payload: Int
        switch tag {
        case BinaryTag.null:
            payload = 0
        case BinaryTag.string:
            payload = try readCount(&position, limit: limit, unitSize: 1)
        case BinaryTag.array, BinaryTag.keyed:
            payload = Int(try readUInt32(&position, limit: limit))
        case BinaryTag.typedArray:
            let kind = try byte(at: position, limit: limit)
            position += 1
            guard let width = BinaryTag.scalarWidth(kind) else {
                throw WireError.unexpectedByte(kind, context: "the element kind of a typed array")
            }
            payload = try readCount(&position, limit: limit, unitSize: width) * width
        default:
            guard let width = BinaryTag.scalarWidth(tag) else {
                throw WireError.unexpectedByte(tag, context: "a value tag")
            }
            payload = width
        }
        guard payload <= limit - position else {
            throw WireError.lengthTooLarge(claimed: UInt64(payload), limit: limit - position)
        }
        return position + payload
    }

    func readKeyTable(_ position: inout Int, limit: Int) throws(WireError) {
        let count = try readCount(&position, limit: limit, unitSize: 1)
        keys.reserveCapacity(count)
        for _ in 0..<count {
            keys.append(try readString(&position, limit: limit))
        }
        keyAliases = keys
    }

    @inline(__always)
    func readKeyRef(_ position: inout Int, limit: Int) throws(WireError) -> BinaryKeyRef {
        let value = try readVarint(&position, limit: limit)
        if value & 1 == 0 {
            let id = value >> 1
            guard id < UInt64(keys.count) else {
                throw WireError.malformed("key id \(id) outside the key table of \(keys.count)")
            }
            return .string(Int(id))
        }
        guard value == 1 else {
            throw WireError.malformed("invalid key reference \(value)")
        }
        return .int(zigzagDecode(try readVarint(&position, limit: limit)))
    }

    @inline(__always)
    func matches(_ ref: BinaryKeyRef, _ key: BinaryCanonicalKey) -> Bool {
        switch (ref, key) {
        case let (.string(id), .string(string)):
            if BinaryStrings.sameRepresentation(keyAliases[id], string) { return true }
            guard BinaryStrings.utf8Equal(keys[id], string) else { return false }
            keyAliases[id] = string  // next time, the same key string matches on representation
            return true
        case let (.int(a), .int(b)):
            return a == b
        default:
            return false
        }
    }

    func newHint(level: Int, cursor: Int) -> UInt32 {
        lastHintID &+= 1
        if lastHintID == 0 { lastHintID = 1 }
        if hints.isEmpty {
            hints = Array(repeating: BinaryKeyedHint(), count: Self.hintSlots)
        }
        let slot = min(level, Self.hintSlots - 1)
        hints[slot] = BinaryKeyedHint(id: lastHintID, cursor: cursor)
        return lastHintID
    }

    // MARK: Values

    /// Decodes the value in `start..<end` (exactly one value's extent).
    @inline(__always)
    func decodeValue<T: Decodable>(
        _ type: T.Type,
        start: Int,
        end: Int,
        path: @autoclosure () -> BinaryPathComponent
    ) throws -> T {
        var position = start
        let tag = try tag(&position, limit: end)
        if let kind = BinaryFastKind(T.self), !kind.isArray || tag == BinaryTag.typedArray {
            return try decodeFast(T.self, kind: kind, tag: tag, &position, limit: end, path: path())
        }
        if tag == BinaryTag.array, let arrayType = T.self as? any BinaryArrayCoding.Type {
            return try decodeArray(arrayType, as: T.self, start: start, end: end, path: path())
        }
        return try decodeNested(T.self, start: start, end: end, path: path())
    }

    /// Decodes a value through its own `init(from:)`, one level deeper.
    func decodeNested<T: Decodable>(_ type: T.Type, start: Int, end: Int, path component: BinaryPathComponent) throws -> T {
        guard depth <= BinaryLimits.maxDepth else {
            throw WireError.malformed("values nested deeper than \(BinaryLimits.maxDepth) levels")
        }
        depth += 1
        path.append(component)
        defer {
            depth -= 1
            path.removeLast()
        }
        return try T(from: BinaryDecoderView(state: self, start: start, end: end))
    }

    // MARK: Errors and paths

    func codingPath(prefix: Int, nested: BinaryNestedPath?, plus last: BinaryPathComponent = .none) -> [any CodingKey] {
        var result: [any CodingKey] = []
        for component in path.prefix(prefix) {
            if let key = component.codingKey { result.append(key) }
        }
        for component in nested?.components ?? [] {
            if let key = component.codingKey { result.append(key) }
        }
        if let key = last.codingKey { result.append(key) }
        return result
    }

    func mismatch(_ type: Any.Type, found tag: UInt8, path last: BinaryPathComponent, nested: BinaryNestedPath? = nil) -> DecodingError {
        let context = DecodingError.Context(
            codingPath: codingPath(prefix: path.count, nested: nested, plus: last),
            debugDescription: "expected \(type) but found \(BinaryTag.name(tag))"
        )
        if tag == BinaryTag.null {
            return DecodingError.valueNotFound(type, context)
        }
        return DecodingError.typeMismatch(type, context)
    }
}

// MARK: - Decoder

/// Header of a keyed container: its entries' range.
extension BinaryDecodingState {
    func keyedBody(start: Int, end: Int, pathPrefix: Int, nested: BinaryNestedPath?) throws -> Range<Int> {
        var position = start
        let tag = try tag(&position, limit: end)
        guard tag == BinaryTag.keyed else {
            throw mismatch([String: Any].self, found: tag, path: .none, nested: nested)
        }
        let length = Int(try readUInt32(&position, limit: end))
        guard length <= end - position else {
            throw WireError.lengthTooLarge(claimed: UInt64(length), limit: end - position)
        }
        return position..<(position + length)
    }

    func makeKeyed<Key: CodingKey>(
        _ keyType: Key.Type,
        start: Int,
        end: Int,
        level: Int,
        nested: BinaryNestedPath?
    ) throws -> KeyedDecodingContainer<Key> {
        guard level <= BinaryLimits.maxDepth + 1 else {
            throw WireError.malformed("containers nested deeper than \(BinaryLimits.maxDepth) levels")
        }
        let prefix = path.count
        let body = try keyedBody(start: start, end: end, pathPrefix: prefix, nested: nested)
        let id = newHint(level: level, cursor: body.lowerBound)
        return KeyedDecodingContainer(
            BinaryKeyedDecodingContainer<Key>(
                state: self,
                start: body.lowerBound,
                end: body.upperBound,
                level: level,
                hintID: id,
                pathPrefix: prefix,
                nested: nested
            )
        )
    }

    func makeUnkeyed(start: Int, end: Int, level: Int, nested: BinaryNestedPath?) throws -> BinaryUnkeyedDecodingContainer {
        guard level <= BinaryLimits.maxDepth + 1 else {
            throw WireError.malformed("containers nested deeper than \(BinaryLimits.maxDepth) levels")
        }
        var position = start
        let tag = try tag(&position, limit: end)
        switch tag {
        case BinaryTag.array:
            let length = Int(try readUInt32(&position, limit: end))
            guard length >= 4, length <= end - position else {
                throw WireError.lengthTooLarge(claimed: UInt64(length), limit: end - position)
            }
            let bodyEnd = position + length
            let count = Int(try readUInt32(&position, limit: bodyEnd))
            guard count <= bodyEnd - position else {  // every element takes at least one byte
                throw WireError.lengthTooLarge(claimed: UInt64(count), limit: bodyEnd - position)
            }
            return BinaryUnkeyedDecodingContainer(
                state: self, cursor: position, end: bodyEnd, elementCount: count, elementTag: nil,
                level: level, pathPrefix: path.count, nested: nested
            )
        case BinaryTag.typedArray:
            let kind = try byte(at: position, limit: end)
            position += 1
            guard let width = BinaryTag.scalarWidth(kind) else {
                throw WireError.unexpectedByte(kind, context: "the element kind of a typed array")
            }
            let count = try readCount(&position, limit: end, unitSize: width)
            return BinaryUnkeyedDecodingContainer(
                state: self, cursor: position, end: position + count * width, elementCount: count, elementTag: kind,
                level: level, pathPrefix: path.count, nested: nested
            )
        default:
            throw mismatch([Any].self, found: tag, path: .none, nested: nested)
        }
    }
}

/// The `Decoder` for one value: the bytes `start..<end`.
struct BinaryDecoderView: Decoder {
    let state: BinaryDecodingState
    let start: Int
    let end: Int

    var codingPath: [any CodingKey] { state.codingPath(prefix: state.path.count, nested: nil) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try state.makeKeyed(Key.self, start: start, end: end, level: state.depth, nested: nil)
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try state.makeUnkeyed(start: start, end: end, level: state.depth, nested: nil)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleValueDecodingContainer(state: state, start: start, end: end, pathPrefix: state.path.count, nested: nil)
    }
}

/// The `Decoder` for a value reached through `superDecoder` (its coding path is carried along).
struct BinaryNestedDecoderView: Decoder {
    let state: BinaryDecodingState
    let start: Int
    let end: Int
    let level: Int
    let pathPrefix: Int
    let nested: BinaryNestedPath?

    var codingPath: [any CodingKey] { state.codingPath(prefix: pathPrefix, nested: nested) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try state.makeKeyed(Key.self, start: start, end: end, level: level, nested: nested)
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try state.makeUnkeyed(start: start, end: end, level: level, nested: nested)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleValueDecodingContainer(state: state, start: start, end: end, pathPrefix: pathPrefix, nested: nested)
    }
}

// MARK: - Keyed

struct BinaryKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let state: BinaryDecodingState
    let start: Int
    let end: Int
    let level: Int
    let hintID: UInt32
    let pathPrefix: Int
    let nested: BinaryNestedPath?

    var codingPath: [any CodingKey] { state.codingPath(prefix: pathPrefix, nested: nested) }

    private var slot: Int { min(level, BinaryDecodingState.hintSlots - 1) }

    var allKeys: [Key] {
        var keys: [Key] = []
        var position = start
        while position < end {
            let ref: BinaryKeyRef
            do {
                ref = try state.readKeyRef(&position, limit: end)
                position = try state.valueEnd(from: position, limit: end)
            } catch {
                state.record(error)  // allKeys cannot throw: the decode fails at its end instead
                break
            }
            let key: Key?
            switch ref {
            case let .string(id):
                key = Key(stringValue: state.keys[id])
            case let .int(int):
                key = Int(exactly: int).flatMap { Key(intValue: $0) } ?? Key(stringValue: String(int))
            }
            if let key { keys.append(key) }
        }
        return keys
    }

    func contains(_ key: Key) -> Bool {
        do {
            return try locate(key) != nil
        } catch {
            state.record(error)  // contains cannot throw: the decode fails at its end instead
            return false
        }
    }

    /// Where the value stored under `key` starts, or nil if there is none.
    private func locate(_ key: Key) throws -> Int? {
        let wanted = BinaryCanonicalKey(key)
        let slot = self.slot
        guard state.hints[slot].id == hintID else {
            return try scan(for: wanted, from: start, to: end)
        }
        let cursor = state.hints[slot].cursor
        if cursor < end {
            var position = cursor
            let ref = try state.readKeyRef(&position, limit: end)
            if state.matches(ref, wanted) {
                return position
            }
        }
        // Not where expected: look it up in the index, or scan.
        if state.hints[slot].stringIndex == nil {
            state.hints[slot].misses += 1
            if state.hints[slot].misses >= BinaryDecodingState.missesBeforeIndex {
                try buildIndex(slot: slot)
            }
        }
        if state.hints[slot].stringIndex != nil {
            let found: Int?
            switch wanted {
            case let .string(string): found = state.hints[slot].stringIndex?[ExactString(string: string)]
            case let .int(int): found = state.hints[slot].intIndex?[int]
            }
            return found
        }
        if let found = try scan(for: wanted, from: cursor, to: end) { return found }
        return try scan(for: wanted, from: start, to: min(cursor, end))
    }

    /// The start of the first value under `wanted` among the entries in `from..<to`.
    private func scan(for wanted: BinaryCanonicalKey, from: Int, to: Int) throws -> Int? {
        var position = from
        while position < to {
            let ref = try state.readKeyRef(&position, limit: end)
            if state.matches(ref, wanted) { return position }
            position = try state.valueEnd(from: position, limit: end)
        }
        return nil
    }

    private func buildIndex(slot: Int) throws {
        var strings: [ExactString: Int] = [:]
        var ints: [Int64: Int] = [:]
        var position = start
        while position < end {
            let ref = try state.readKeyRef(&position, limit: end)
            let valueStart = position
            position = try state.valueEnd(from: position, limit: end)
            switch ref {
            case let .string(id):
                let key = ExactString(string: state.keys[id])
                if strings[key] == nil { strings[key] = valueStart }
            case let .int(int):
                if ints[int] == nil { ints[int] = valueStart }
            }
        }
        state.hints[slot].stringIndex = strings
        state.hints[slot].intIndex = ints
    }

    /// Marks the entry ending at `valueEnd` as read: the next lookup starts there.
    @inline(__always)
    private func consumed(upTo valueEnd: Int) {
        let slot = self.slot
        if state.hints[slot].id == hintID {
            state.hints[slot].cursor = valueEnd
        }
    }

    /// Where the value under `key` starts; throws `keyNotFound` if there is none.
    @inline(__always)
    private func requireStart(_ key: Key) throws -> Int {
        guard let start = try locate(key) else { throw keyNotFound(key) }
        return start
    }

    private func keyNotFound(_ key: Key) -> DecodingError {
        DecodingError.keyNotFound(
            key,
            DecodingError.Context(codingPath: codingPath, debugDescription: "no value for key \"\(key.stringValue)\"")
        )
    }

    /// The extent of the value under `key`; throws `keyNotFound` if there is none.
    private func require(_ key: Key) throws -> Range<Int> {
        let start = try requireStart(key)
        return start..<(try state.valueEnd(from: start, limit: end))
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        let start = try requireStart(key)
        guard try state.byte(at: start, limit: end) == BinaryTag.null else { return false }
        consumed(upTo: start + 1)
        return true
    }

    @inline(__always)
    private func scalar<S: WireScalar>(_ type: S.Type, _ key: Key) throws -> S {
        var position = try requireStart(key)
        let tag = try state.tag(&position, limit: end)
        let value = try state.readScalar(S.self, tag: tag, &position, limit: end, path: BinaryPathComponent(key))
        consumed(upTo: position)
        return value
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try scalar(Bool.self, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try BinaryDecodingState.narrow(try scalar(Int64.self, key))
    }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try scalar(Int8.self, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try scalar(Int16.self, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try scalar(Int32.self, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try scalar(Int64.self, key) }
    @available(macOS 15.0, *)
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 { try scalar(Int128.self, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        try BinaryDecodingState.narrow(try scalar(UInt64.self, key))
    }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try scalar(UInt8.self, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try scalar(UInt16.self, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try scalar(UInt32.self, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try scalar(UInt64.self, key) }
    @available(macOS 15.0, *)
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 { try scalar(UInt128.self, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try scalar(Float.self, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try scalar(Double.self, key) }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        var position = try requireStart(key)
        let tag = try state.tag(&position, limit: end)
        guard tag == BinaryTag.string else {
            throw state.mismatch(String.self, found: tag, path: BinaryPathComponent(key), nested: nested)
        }
        let value = try state.readString(&position, limit: end)
        consumed(upTo: position)
        return value
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let range = try require(key)
        let value = try state.decodeValue(T.self, start: range.lowerBound, end: range.upperBound, path: BinaryPathComponent(key))
        consumed(upTo: range.upperBound)
        return value
    }

    /// Absent key or nil → nil. A nil stored for an optional type (from `Int??.some(nil)`) decodes
    /// as that type, so the outer optional survives.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let start = try locate(key) else { return nil }
        if try state.byte(at: start, limit: end) == BinaryTag.null,
           !(T.self is any BinaryOptionalMarker.Type) {
            consumed(upTo: start + 1)
            return nil
        }
        let range = start..<(try state.valueEnd(from: start, limit: end))
        let value = try state.decodeValue(T.self, start: range.lowerBound, end: range.upperBound, path: BinaryPathComponent(key))
        consumed(upTo: range.upperBound)
        return value
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try decodeIfPresent(Bool?.none, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try decodeIfPresent(String?.none, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try decodeIfPresent(Double?.none, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try decodeIfPresent(Float?.none, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try decodeIfPresent(Int?.none, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try decodeIfPresent(Int8?.none, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try decodeIfPresent(Int16?.none, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try decodeIfPresent(Int32?.none, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try decodeIfPresent(Int64?.none, key) }
    @available(macOS 15.0, *)
    func decodeIfPresent(_ type: Int128.Type, forKey key: Key) throws -> Int128? { try decodeIfPresent(Int128?.none, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try decodeIfPresent(UInt?.none, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try decodeIfPresent(UInt8?.none, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try decodeIfPresent(UInt16?.none, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try decodeIfPresent(UInt32?.none, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try decodeIfPresent(UInt64?.none, key) }
    @available(macOS 15.0, *)
    func decodeIfPresent(_ type: UInt128.Type, forKey key: Key) throws -> UInt128? { try decodeIfPresent(UInt128?.none, key) }

    @inline(__always)
    private func decodeIfPresent<T: Decodable>(_ witness: T?, _ key: Key) throws -> T? {
        try decodeIfPresent(T.self, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type,
        forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let range = try require(key)
        let container = try state.makeKeyed(
            NestedKey.self, start: range.lowerBound, end: range.upperBound, level: level + 1,
            nested: BinaryNestedPath.appending(nested, BinaryPathComponent(key))
        )
        consumed(upTo: range.upperBound)
        return container
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let range = try require(key)
        let container = try state.makeUnkeyed(
            start: range.lowerBound, end: range.upperBound, level: level + 1,
            nested: BinaryNestedPath.appending(nested, BinaryPathComponent(key))
        )
        consumed(upTo: range.upperBound)
        return container
    }

    func superDecoder() throws -> any Decoder {
        try subDecoder(BinaryCanonicalKey(BinarySuperKey()), BinaryPathComponent(BinarySuperKey()))
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try subDecoder(BinaryCanonicalKey(key), BinaryPathComponent(key))
    }

    private func subDecoder(_ wanted: BinaryCanonicalKey, _ component: BinaryPathComponent) throws -> any Decoder {
        guard let found = try scan(for: wanted, from: start, to: end) else {
            throw DecodingError.keyNotFound(
                BinaryPathKey(stringValue: "super", intValue: nil),
                DecodingError.Context(codingPath: codingPath, debugDescription: "no value for the superclass")
            )
        }
        let valueEnd = try state.valueEnd(from: found, limit: end)
        return BinaryNestedDecoderView(
            state: state, start: found, end: valueEnd, level: level + 1,
            pathPrefix: pathPrefix, nested: BinaryNestedPath.appending(nested, component)
        )
    }
}

extension BinaryDecodingState {
    @inline(__always)
    static func narrow<Wide: FixedWidthInteger, Narrow: FixedWidthInteger>(_ value: Wide) throws -> Narrow {
        guard let narrow = Narrow(exactly: value) else {
            throw WireError.valueOutOfRange("\(value) does not fit in \(Narrow.self)")
        }
        return narrow
    }
}

// MARK: - Unkeyed

struct BinaryUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let state: BinaryDecodingState
    var cursor: Int
    let end: Int
    let elementCount: Int
    /// The element kind of a typed array, whose elements carry no tags; nil for a tagged array.
    let elementTag: UInt8?
    let level: Int
    let pathPrefix: Int
    let nested: BinaryNestedPath?
    private(set) var currentIndex = 0

    init(
        state: BinaryDecodingState, cursor: Int, end: Int, elementCount: Int, elementTag: UInt8?,
        level: Int, pathPrefix: Int, nested: BinaryNestedPath?
    ) {
        self.state = state
        self.cursor = cursor
        self.end = end
        self.elementCount = elementCount
        self.elementTag = elementTag
        self.level = level
        self.pathPrefix = pathPrefix
        self.nested = nested
    }

    var codingPath: [any CodingKey] { state.codingPath(prefix: pathPrefix, nested: nested) }
    var count: Int? { elementCount }
    var isAtEnd: Bool { currentIndex >= elementCount }

    private func atEnd(_ type: Any.Type) -> DecodingError {
        DecodingError.valueNotFound(
            type,
            DecodingError.Context(
                codingPath: state.codingPath(prefix: pathPrefix, nested: nested, plus: .index(currentIndex)),
                debugDescription: "unkeyed container is at its end (\(elementCount) elements)"
            )
        )
    }

    private func mismatch(_ type: Any.Type, _ tag: UInt8) -> DecodingError {
        state.mismatch(type, found: tag, path: .index(currentIndex), nested: nested)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { throw atEnd(Any?.self) }
        guard elementTag == nil, try state.byte(at: cursor, limit: end) == BinaryTag.null else { return false }
        cursor += 1
        currentIndex += 1
        return true
    }

    @inline(__always)
    private mutating func scalar<S: WireScalar>(_ type: S.Type) throws -> S {
        guard !isAtEnd else { throw atEnd(S.self) }
        var position = cursor
        let tag = try elementTag ?? state.tag(&position, limit: end)
        let value = try state.readScalar(S.self, tag: tag, &position, limit: end, path: .index(currentIndex))
        cursor = position
        currentIndex += 1
        return value
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try scalar(Bool.self) }
    mutating func decode(_ type: Int.Type) throws -> Int { try BinaryDecodingState.narrow(try scalar(Int64.self)) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try scalar(Int8.self) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try scalar(Int16.self) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try scalar(Int32.self) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try scalar(Int64.self) }
    @available(macOS 15.0, *)
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try scalar(Int128.self) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try BinaryDecodingState.narrow(try scalar(UInt64.self)) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try scalar(UInt8.self) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try scalar(UInt16.self) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try scalar(UInt32.self) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try scalar(UInt64.self) }
    @available(macOS 15.0, *)
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try scalar(UInt128.self) }
    mutating func decode(_ type: Float.Type) throws -> Float { try scalar(Float.self) }
    mutating func decode(_ type: Double.Type) throws -> Double { try scalar(Double.self) }

    mutating func decode(_ type: String.Type) throws -> String {
        guard !isAtEnd else { throw atEnd(String.self) }
        var position = cursor
        let tag = try elementTag ?? state.tag(&position, limit: end)
        guard tag == BinaryTag.string else { throw mismatch(String.self, tag) }
        let value = try state.readString(&position, limit: end)
        cursor = position
        currentIndex += 1
        return value
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard !isAtEnd else { throw atEnd(T.self) }
        if let elementTag {
            var position = cursor
            guard let kind = BinaryFastKind(T.self), !kind.isArray else {
                throw mismatch(T.self, elementTag)
            }
            let value = try state.decodeFast(T.self, kind: kind, tag: elementTag, &position, limit: end, path: .index(currentIndex))
            cursor = position
            currentIndex += 1
            return value
        }
        let valueEnd = try state.valueEnd(from: cursor, limit: end)
        let value = try state.decodeValue(T.self, start: cursor, end: valueEnd, path: .index(currentIndex))
        cursor = valueEnd
        currentIndex += 1
        return value
    }

    /// The extent of the next element, which must be tagged (a container or a sub-decoder's value).
    private mutating func nextTaggedElement(_ type: Any.Type) throws -> Range<Int> {
        guard !isAtEnd else { throw atEnd(type) }
        if let elementTag { throw mismatch(type, elementTag) }
        let valueEnd = try state.valueEnd(from: cursor, limit: end)
        defer {
            cursor = valueEnd
            currentIndex += 1
        }
        return cursor..<valueEnd
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let index = currentIndex
        let range = try nextTaggedElement([String: Any].self)
        return try state.makeKeyed(
            NestedKey.self, start: range.lowerBound, end: range.upperBound, level: level + 1,
            nested: BinaryNestedPath.appending(nested, .index(index))
        )
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let index = currentIndex
        let range = try nextTaggedElement([Any].self)
        return try state.makeUnkeyed(
            start: range.lowerBound, end: range.upperBound, level: level + 1, nested: BinaryNestedPath.appending(nested, .index(index))
        )
    }

    mutating func superDecoder() throws -> any Decoder {
        let index = currentIndex
        let range = try nextTaggedElement(Any.self)
        return BinaryNestedDecoderView(
            state: state, start: range.lowerBound, end: range.upperBound, level: level + 1,
            pathPrefix: pathPrefix, nested: BinaryNestedPath.appending(nested, .index(index))
        )
    }
}

// MARK: - Single value

struct BinarySingleValueDecodingContainer: SingleValueDecodingContainer {
    let state: BinaryDecodingState
    let start: Int
    let end: Int
    let pathPrefix: Int
    let nested: BinaryNestedPath?

    var codingPath: [any CodingKey] { state.codingPath(prefix: pathPrefix, nested: nested) }

    func decodeNil() -> Bool {
        do {
            return try state.byte(at: start, limit: end) == BinaryTag.null
        } catch {
            state.record(error)
            return false
        }
    }

    @inline(__always)
    private func scalar<S: WireScalar>(_ type: S.Type) throws -> S {
        var position = start
        let tag = try state.tag(&position, limit: end)
        return try state.readScalar(S.self, tag: tag, &position, limit: end, path: .none)
    }

    func decode(_ type: Bool.Type) throws -> Bool { try scalar(Bool.self) }
    func decode(_ type: Int.Type) throws -> Int { try BinaryDecodingState.narrow(try scalar(Int64.self)) }
    func decode(_ type: Int8.Type) throws -> Int8 { try scalar(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try scalar(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try scalar(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try scalar(Int64.self) }
    @available(macOS 15.0, *)
    func decode(_ type: Int128.Type) throws -> Int128 { try scalar(Int128.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try BinaryDecodingState.narrow(try scalar(UInt64.self)) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try scalar(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try scalar(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try scalar(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try scalar(UInt64.self) }
    @available(macOS 15.0, *)
    func decode(_ type: UInt128.Type) throws -> UInt128 { try scalar(UInt128.self) }
    func decode(_ type: Float.Type) throws -> Float { try scalar(Float.self) }
    func decode(_ type: Double.Type) throws -> Double { try scalar(Double.self) }

    func decode(_ type: String.Type) throws -> String {
        var position = start
        let tag = try state.tag(&position, limit: end)
        guard tag == BinaryTag.string else {
            throw state.mismatch(String.self, found: tag, path: .none, nested: nested)
        }
        return try state.readString(&position, limit: end)
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self is any BinaryOptionalMarker.Type,
           try state.byte(at: start, limit: end) == BinaryTag.some {
            // The `.some` of a nested optional: decode the optional payload after the marker.
            return try state.decodeNested(T.self, start: start + 1, end: end, path: .none)
        }
        return try state.decodeValue(T.self, start: start, end: end, path: .none)
    }
}
