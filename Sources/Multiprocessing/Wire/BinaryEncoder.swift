/// Encodes `Encodable` values to the compact, tagged binary format described in `BinaryFormat.swift`.
///
/// Foundation's `JSONEncoder` is far too slow for shipping jobs between processes, and no available
/// package provides a fast stdlib-only binary `Encoder`, hence this one.
///
/// - Every value carries a one-byte tag, containers carry their byte length, and coding-key strings
///   are interned per message, so arrays of structs stay compact.
/// - `[UInt8]`, `[Int]`, `[Double]` and the other fixed-width numeric arrays, `[Bool]` and `String`
///   are each written as one block (a memcpy), wherever they appear.
/// - `Int??.some(nil)` and other nested optionals round-trip exactly.
///
/// Errors: a value the format cannot hold (a container over 4 GiB, nesting deeper than 512
/// levels) or a misuse of the `Encoder` API (a container used after a sibling value was written,
/// two values into one single-value container) throws `EncodingError.invalidValue`.
public struct BinaryEncoder: Sendable {
    /// An encoder; it holds no state between calls.
    public init() {}

    /// Encodes `value` as one self-contained message.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        try encode(value, into: &writer)
        return writer.finish()
    }

    /// Appends the message for `value` to `writer`; on error, `writer` is left as it was.
    func encode<T: Encodable>(_ value: T, into writer: inout ByteWriter) throws {
        let state = BinaryEncodingState()
        let start = writer.count
        swap(&writer, &state.writer)
        do {
            try state.encodeMessage(value)
        } catch {
            swap(&writer, &state.writer)
            writer.truncate(to: start)
            throw error
        }
        swap(&writer, &state.writer)
    }
}

/// Where a value sits, for coding paths (kept as plain values so that pushing one never allocates).
enum BinaryPathComponent {
    case none
    case index(Int)
    case key(String, Int?)

    init<K: CodingKey>(_ key: K) {
        self = .key(key.stringValue, key.intValue)
    }

    var codingKey: (any CodingKey)? {
        switch self {
        case .none: return nil
        case let .index(i): return BinaryIndexKey(intValue: i)
        case let .key(s, i): return BinaryPathKey(stringValue: s, intValue: i)
        }
    }
}

/// A coding key rebuilt from its string and integer values, for coding paths.
struct BinaryPathKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(stringValue: String, intValue: Int?) {
        self.stringValue = stringValue
        self.intValue = intValue
    }
    init?(stringValue: String) { self.init(stringValue: stringValue, intValue: nil) }
    init?(intValue: Int) { self.init(stringValue: String(intValue), intValue: intValue) }
}

/// One open value or container on the encoder's stack; frame `i` is at nesting depth `i`.
struct BinaryEncodingFrame {
    enum Kind: UInt8 {
        /// A value about to be written: nothing is written yet.
        case slot
        /// A single value was written (or is being written one level deeper).
        case filled
        case keyed
        case unkeyed
    }

    var kind: Kind
    let id: UInt32
    /// Offset of the u32 body length of a container.
    var headerAt: Int
    /// Elements (unkeyed) or entries (keyed) written so far.
    var count: Int
    let path: BinaryPathComponent
}

/// The per-call state of one encode: the output buffer, the stack of open frames and the key table.
///
/// Writes stream straight into one buffer; a container's length is patched when it is closed.
/// A container may only be written while it is the innermost open one (or after its nested
/// containers are done, which closes them): the order every `Encodable` follows in practice.
final class BinaryEncodingState {
    @exclusivity(unchecked) var writer = ByteWriter(capacity: 0)
    @exclusivity(unchecked) var frames: [BinaryEncodingFrame] = []
    @exclusivity(unchecked) private var keyIDs: [ExactString: UInt32] = [:]
    @exclusivity(unchecked) private var keyStrings: [String] = []
    /// A small cache from (depth, ordinal) to the key written there last, so that the repeated keys
    /// of an array of structs cost one comparison instead of a hash lookup.
    @exclusivity(unchecked) private var keyCache: [BinaryCachedKey] = []
    @exclusivity(unchecked) private var uncachedKeyWrites = 0
    @exclusivity(unchecked) private var lastID: UInt32 = 0
    /// An error raised where the `Encoder` API cannot throw (`nestedContainer`, `superEncoder`…).
    @exclusivity(unchecked) var deferredError: (any Error)?

    private static let cacheDepths = 8
    private static let cacheOrdinals = 16
    /// Key writes before the cache is made: small messages do without it.
    private static let keyWritesBeforeCache = 64
    private static let keysSearchedLinearly = 8

    // MARK: Message

    func encodeMessage<T: Encodable>(_ value: T) throws {
        let lengthAt = writer.reserveUInt32()
        try encodeValue(value, depth: 0, path: .none)
        if let deferredError { throw deferredError }
        let bodyLength = writer.count - lengthAt - 4
        guard bodyLength <= Int(UInt32.max) else {
            throw EncodingError.invalidValue(
                value,
                EncodingError.Context(codingPath: [], debugDescription: "message body of \(bodyLength) bytes exceeds 4 GiB")
            )
        }
        writer.patchUInt32(at: lengthAt, UInt32(bodyLength))
        writer.writeVarint(keyStrings.count)
        for key in keyStrings {
            writer.write(key)
        }
    }

    // MARK: Values

    /// Writes `value` as the next value; `depth` is the depth of the value itself.
    @inline(__always)
    func encodeValue<T: Encodable>(_ value: T, depth: Int, path: @autoclosure () -> BinaryPathComponent) throws {
        if encodeFast(value) { return }
        if MemoryLayout<T>.size == MemoryLayout<[Int]>.size, let arrayType = T.self as? any BinaryArrayCoding.Type {
            return try encodeArray(value, arrayType, depth: depth, path: path())
        }
        try encodeNested(value, depth: depth, path: path())
    }

    /// Writes a value through its own `encode(to:)`, in a new frame.
    func encodeNested<T: Encodable>(_ value: T, depth: Int, path: BinaryPathComponent) throws {
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
        try value.encode(to: BinaryEncoderView(state: self, depth: depth, id: id))
        try closeFrames(downTo: depth)
    }

    func pushFrame(kind: BinaryEncodingFrame.Kind, path: BinaryPathComponent) -> UInt32 {
        lastID &+= 1
        if lastID == 0 { lastID = 1 }
        frames.append(BinaryEncodingFrame(kind: kind, id: lastID, headerAt: 0, count: 0, path: path))
        return lastID
    }

    /// Closes frames until only `count` remain, patching container lengths.
    func closeFrames(downTo count: Int) throws {
        while frames.count > count {
            let frame = frames.removeLast()
            switch frame.kind {
            case .slot:
                // A value whose encode(to:) wrote nothing: an empty keyed container.
                writer.write(BinaryTag.keyed)
                writer.write(UInt32(0))
            case .filled:
                break
            case .keyed, .unkeyed:
                let bodyLength = writer.count - frame.headerAt - 4
                guard bodyLength <= Int(UInt32.max) else {
                    throw EncodingError.invalidValue(
                        bodyLength,
                        EncodingError.Context(
                            codingPath: codingPath(depth: frames.count),
                            debugDescription: "container of \(bodyLength) bytes exceeds 4 GiB"
                        )
                    )
                }
                writer.patchUInt32(at: frame.headerAt, UInt32(bodyLength))
                if frame.kind == .unkeyed {
                    writer.patchUInt32(at: frame.headerAt + 4, UInt32(frame.count))
                }
            }
        }
    }

    /// Opens a container header in a fresh frame (nested containers).
    func pushContainer(kind: BinaryEncodingFrame.Kind, path: BinaryPathComponent) -> UInt32 {
        let id = pushFrame(kind: kind, path: path)
        writeContainerHeader(kind: kind, frame: frames.count - 1)
        return id
    }

    private func writeContainerHeader(kind: BinaryEncodingFrame.Kind, frame index: Int) {
        frames[index].kind = kind
        frames[index].headerAt = writer.count + 1
        // Tag, u32 body length, and for an unkeyed container u32 count: patched when it closes.
        withScratch { p in
            p.storeBytes(of: kind == .keyed ? BinaryTag.keyed : BinaryTag.array, as: UInt8.self)
            return kind == .keyed ? 5 : 9
        }
    }

    // MARK: Frame checks

    /// Makes the container (`depth`, `id`) the innermost open frame, closing finished nested ones.
    @inline(__always)
    func activate(depth: Int, id: UInt32) throws {
        if frames.count != depth + 1 {
            try closeFrames(downTo: depth + 1)
        }
        guard frames.count == depth + 1, frames[depth].id == id else {
            throw deferredError ?? staleError(depth: depth)
        }
    }

    func staleError(depth: Int) -> EncodingError {
        EncodingError.invalidValue(
            (),
            EncodingError.Context(
                codingPath: codingPath(depth: min(depth, frames.count - 1)),
                debugDescription: "an encoding container was used after a later sibling value was written, "
                    + "or after its value was finished; the binary encoder writes values in order"
            )
        )
    }

    /// The container the `Encoder` at (`depth`, `id`) asks for; 0 (an id no frame has) if refused.
    func openContainer(depth: Int, id: UInt32, kind: BinaryEncodingFrame.Kind) -> UInt32 {
        do {
            try activate(depth: depth, id: id)
        } catch {
            record(error)
            return 0
        }
        switch frames[depth].kind {
        case .slot:
            writeContainerHeader(kind: kind, frame: depth)
            return id
        case kind:
            return id  // asking again (a subclass after its superclass): keep writing into the same container
        default:
            record(
                EncodingError.invalidValue(
                    (),
                    EncodingError.Context(
                        codingPath: codingPath(depth: depth),
                        debugDescription: "asked for a \(kind) container where a value of another kind was already encoded"
                    )
                )
            )
            return 0
        }
    }

    /// Prepares the single value container at (`depth`, `id`) to write its value.
    @inline(__always)
    func beginSingleValue(depth: Int, id: UInt32) throws {
        try activate(depth: depth, id: id)
        guard frames[depth].kind == .slot else {
            throw EncodingError.invalidValue(
                (),
                EncodingError.Context(
                    codingPath: codingPath(depth: depth),
                    debugDescription: "a single value container can encode only one value"
                )
            )
        }
        frames[depth].kind = .filled
    }

    /// Prepares the keyed container at (`depth`, `id`) for its next entry; returns the key to write.
    @inline(__always)
    func beginEntry<K: CodingKey>(depth: Int, id: UInt32, key: K) throws -> BinaryEncodedKey {
        try activate(depth: depth, id: id)
        let ordinal = frames[depth].count
        frames[depth].count = ordinal + 1
        return encodedKey(key, depth: depth, ordinal: ordinal)
    }

    /// Prepares the keyed container for its next entry and writes the key.
    @inline(__always)
    func beginEntryWritingKey<K: CodingKey>(depth: Int, id: UInt32, key: K) throws {
        let key = try beginEntry(depth: depth, id: id, key: key)
        withScratch { p in
            var n = 0
            Self.put(key, p, &n)
            return n
        }
    }

    /// Prepares the unkeyed container at (`depth`, `id`) for its next element; returns its index.
    @inline(__always)
    func beginElement(depth: Int, id: UInt32) throws -> Int {
        try activate(depth: depth, id: id)
        let index = frames[depth].count
        frames[depth].count = index + 1
        return index
    }

    func record(_ error: any Error) {
        if deferredError == nil { deferredError = error }
    }

    func codingPath(depth: Int) -> [any CodingKey] {
        guard depth >= 0 else { return [] }
        var path: [any CodingKey] = []
        for frame in frames.prefix(depth + 1) {
            if let key = frame.path.codingKey { path.append(key) }
        }
        return path
    }

    // MARK: Keys

    @inline(__always)
    private func encodedKey<K: CodingKey>(_ key: K, depth: Int, ordinal: Int) -> BinaryEncodedKey {
        let string = key.stringValue
        if let int = key.intValue, string == String(int) {
            return .int(Int64(int))
        }
        if keyCache.isEmpty {
            uncachedKeyWrites += 1
            guard uncachedKeyWrites >= Self.keyWritesBeforeCache else { return .id(internKey(string)) }
            keyCache = Array(
                repeating: BinaryCachedKey(string: "", id: UInt32.max),
                count: Self.cacheDepths * Self.cacheOrdinals
            )
        }
        let slot = (depth & (Self.cacheDepths - 1)) * Self.cacheOrdinals + (ordinal & (Self.cacheOrdinals - 1))
        let cached = keyCache[slot]
        if cached.id != UInt32.max && BinaryStrings.sameRepresentation(cached.string, string) {
            return .id(cached.id)
        }
        let id = internKey(string)
        keyCache[slot] = BinaryCachedKey(string: string, id: id)
        return .id(id)
    }

    /// The id of `string` in this message's key table, adding it if new. A few keys are searched
    /// linearly (cheaper than hashing for the small messages most jobs send); more get a dictionary.
    private func internKey(_ string: String) -> UInt32 {
        if keyIDs.isEmpty {
            for index in keyStrings.indices where BinaryStrings.utf8Equal(keyStrings[index], string) {
                return UInt32(truncatingIfNeeded: index)
            }
            if keyStrings.count < Self.keysSearchedLinearly {
                keyStrings.append(string)
                return UInt32(truncatingIfNeeded: keyStrings.count - 1)
            }
            for index in keyStrings.indices {
                keyIDs[ExactString(string: keyStrings[index])] = UInt32(truncatingIfNeeded: index)
            }
        }
        let exact = ExactString(string: string)
        if let id = keyIDs[exact] { return id }
        let id = UInt32(truncatingIfNeeded: keyStrings.count)
        keyIDs[exact] = id
        keyStrings.append(string)
        return id
    }

    // MARK: Scalars

    /// Assembles up to 32 bytes on the stack and appends them at once.
    @inline(__always)
    func withScratch(_ body: (UnsafeMutableRawPointer) -> Int) {
        var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { raw in
            let count = body(raw.baseAddress.unsafelyUnwrapped)
            writer.write(raw: UnsafeRawBufferPointer(rebasing: raw[0..<count]))
        }
    }

    @inline(__always)
    static func putVarint(_ value: UInt64, _ p: UnsafeMutableRawPointer, _ offset: inout Int) {
        var rest = value
        while rest >= 0x80 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: rest) | 0x80, toByteOffset: offset, as: UInt8.self)
            offset += 1
            rest >>= 7
        }
        p.storeBytes(of: UInt8(rest), toByteOffset: offset, as: UInt8.self)
        offset += 1
    }

    /// A key reference: at most 11 bytes.
    @inline(__always)
    static func put(_ key: BinaryEncodedKey, _ p: UnsafeMutableRawPointer, _ offset: inout Int) {
        switch key {
        case let .id(id):
            putVarint(UInt64(id) << 1, p, &offset)
        case let .int(int):
            p.storeBytes(of: UInt8(1), toByteOffset: offset, as: UInt8.self)
            offset += 1
            putVarint(zigzagEncode(int), p, &offset)
        }
    }

    /// An optional key, a tag and a fixed-width payload, in one append.
    @inline(__always)
    func writeScalar<S: WireScalar>(_ value: S, key: BinaryEncodedKey? = nil) {
        withScratch { p in
            var n = 0
            if let key { Self.put(key, p, &n) }
            p.storeBytes(of: S.wireTag, toByteOffset: n, as: UInt8.self)
            p.storeBytes(of: value.wireLittleEndian, toByteOffset: n + 1, as: S.self)
            return n + 1 + MemoryLayout<S>.size
        }
    }

    /// An optional key, then a tag alone (nil, some).
    @inline(__always)
    func writeTag(_ tag: UInt8, key: BinaryEncodedKey? = nil) {
        guard let key else {
            writer.write(tag)
            return
        }
        withScratch { p in
            var n = 0
            Self.put(key, p, &n)
            p.storeBytes(of: tag, toByteOffset: n, as: UInt8.self)
            return n + 1
        }
    }

    @inline(__always)
    func writeString(_ value: String, key: BinaryEncodedKey? = nil) {
        var value = value
        value.withUTF8 { utf8 in
            withScratch { p in
                var n = 0
                if let key { Self.put(key, p, &n) }
                p.storeBytes(of: BinaryTag.string, toByteOffset: n, as: UInt8.self)
                n += 1
                Self.putVarint(UInt64(utf8.count), p, &n)
                return n
            }
            writer.write(raw: UnsafeRawBufferPointer(utf8))
        }
    }
}

/// A key string and its id, held (so its storage cannot be reused while cached).
struct BinaryCachedKey {
    var string: String
    var id: UInt32
}

/// A key as written: an id in the key table, or an integer.
enum BinaryEncodedKey {
    case id(UInt32)
    case int(Int64)
}

// MARK: - Encoder

struct BinaryEncoderView: Encoder {
    let state: BinaryEncodingState
    let depth: Int
    let id: UInt32

    var codingPath: [any CodingKey] { state.codingPath(depth: depth) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let container = state.openContainer(depth: depth, id: id, kind: .keyed)
        return KeyedEncodingContainer(BinaryKeyedEncodingContainer<Key>(state: state, depth: depth, id: container))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let container = state.openContainer(depth: depth, id: id, kind: .unkeyed)
        return BinaryUnkeyedEncodingContainer(state: state, depth: depth, id: container)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        BinarySingleValueEncodingContainer(state: state, depth: depth, id: id)
    }
}

// MARK: - Keyed

struct BinaryKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: BinaryEncodingState
    let depth: Int
    let id: UInt32

    var codingPath: [any CodingKey] { state.codingPath(depth: depth) }

    @inline(__always)
    private func scalar<S: WireScalar>(_ value: S, _ key: Key) throws {
        let key = try state.beginEntry(depth: depth, id: id, key: key)
        state.writeScalar(value, key: key)
    }

    mutating func encodeNil(forKey key: Key) throws {
        let key = try state.beginEntry(depth: depth, id: id, key: key)
        state.writeTag(BinaryTag.null, key: key)
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try scalar(Int64(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try scalar(value, key) }
    @available(macOS 15.0, *)
    mutating func encode(_ value: Int128, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try scalar(UInt64(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try scalar(value, key) }
    @available(macOS 15.0, *)
    mutating func encode(_ value: UInt128, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try scalar(value, key) }

    mutating func encode(_ value: String, forKey key: Key) throws {
        let key = try state.beginEntry(depth: depth, id: id, key: key)
        state.writeString(value, key: key)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try state.beginEntryWritingKey(depth: depth, id: id, key: key)
        try state.encodeValue(value, depth: depth + 1, path: BinaryPathComponent(key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(
            BinaryKeyedEncodingContainer<NestedKey>(state: state, depth: depth + 1, id: nested(.keyed, key))
        )
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        BinaryUnkeyedEncodingContainer(state: state, depth: depth + 1, id: nested(.unkeyed, key))
    }

    mutating func superEncoder() -> any Encoder {
        BinaryEncoderView(state: state, depth: depth + 1, id: nested(.slot, BinarySuperKey()))
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        BinaryEncoderView(state: state, depth: depth + 1, id: nested(.slot, key))
    }

    private func nested<K: CodingKey>(_ kind: BinaryEncodingFrame.Kind, _ key: K) -> UInt32 {
        do {
            try state.beginEntryWritingKey(depth: depth, id: id, key: key)
        } catch {
            state.record(error)
            return 0
        }
        guard depth + 1 <= BinaryLimits.maxDepth else {
            state.record(nestingError(state, depth))
            state.writer.write(BinaryTag.null)  // keep the entry well-formed; the encode fails anyway
            return 0
        }
        let path = BinaryPathComponent(key)
        return kind == .slot ? state.pushFrame(kind: .slot, path: path) : state.pushContainer(kind: kind, path: path)
    }
}

private func nestingError(_ state: BinaryEncodingState, _ depth: Int) -> EncodingError {
    EncodingError.invalidValue(
        (),
        EncodingError.Context(
            codingPath: state.codingPath(depth: depth),
            debugDescription: "containers nested deeper than \(BinaryLimits.maxDepth) levels"
        )
    )
}

// MARK: - Unkeyed

struct BinaryUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let state: BinaryEncodingState
    let depth: Int
    let id: UInt32

    var codingPath: [any CodingKey] { state.codingPath(depth: depth) }

    var count: Int {
        guard depth < state.frames.count, state.frames[depth].id == id else { return 0 }
        return state.frames[depth].count
    }

    @inline(__always)
    private func scalar<S: WireScalar>(_ value: S) throws {
        _ = try state.beginElement(depth: depth, id: id)
        state.writeScalar(value)
    }

    mutating func encodeNil() throws {
        _ = try state.beginElement(depth: depth, id: id)
        state.writeTag(BinaryTag.null)
    }

    mutating func encode(_ value: Bool) throws { try scalar(value) }
    mutating func encode(_ value: Int) throws { try scalar(Int64(value)) }
    mutating func encode(_ value: Int8) throws { try scalar(value) }
    mutating func encode(_ value: Int16) throws { try scalar(value) }
    mutating func encode(_ value: Int32) throws { try scalar(value) }
    mutating func encode(_ value: Int64) throws { try scalar(value) }
    @available(macOS 15.0, *)
    mutating func encode(_ value: Int128) throws { try scalar(value) }
    mutating func encode(_ value: UInt) throws { try scalar(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { try scalar(value) }
    mutating func encode(_ value: UInt16) throws { try scalar(value) }
    mutating func encode(_ value: UInt32) throws { try scalar(value) }
    mutating func encode(_ value: UInt64) throws { try scalar(value) }
    @available(macOS 15.0, *)
    mutating func encode(_ value: UInt128) throws { try scalar(value) }
    mutating func encode(_ value: Float) throws { try scalar(value) }
    mutating func encode(_ value: Double) throws { try scalar(value) }

    mutating func encode(_ value: String) throws {
        _ = try state.beginElement(depth: depth, id: id)
        state.writeString(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = try state.beginElement(depth: depth, id: id)
        try state.encodeValue(value, depth: depth + 1, path: .index(index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(
            BinaryKeyedEncodingContainer<NestedKey>(state: state, depth: depth + 1, id: nested(.keyed))
        )
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        BinaryUnkeyedEncodingContainer(state: state, depth: depth + 1, id: nested(.unkeyed))
    }

    mutating func superEncoder() -> any Encoder {
        BinaryEncoderView(state: state, depth: depth + 1, id: nested(.slot))
    }

    private func nested(_ kind: BinaryEncodingFrame.Kind) -> UInt32 {
        let index: Int
        do {
            index = try state.beginElement(depth: depth, id: id)
        } catch {
            state.record(error)
            return 0
        }
        guard depth + 1 <= BinaryLimits.maxDepth else {
            state.record(nestingError(state, depth))
            state.writer.write(BinaryTag.null)
            return 0
        }
        return kind == .slot
            ? state.pushFrame(kind: .slot, path: .index(index))
            : state.pushContainer(kind: kind, path: .index(index))
    }
}

// MARK: - Single value

struct BinarySingleValueEncodingContainer: SingleValueEncodingContainer {
    let state: BinaryEncodingState
    let depth: Int
    let id: UInt32

    var codingPath: [any CodingKey] { state.codingPath(depth: depth) }

    @inline(__always)
    private func scalar<S: WireScalar>(_ value: S) throws {
        try state.beginSingleValue(depth: depth, id: id)
        state.writeScalar(value)
    }

    mutating func encodeNil() throws {
        try state.beginSingleValue(depth: depth, id: id)
        state.writer.write(BinaryTag.null)
    }

    mutating func encode(_ value: Bool) throws { try scalar(value) }
    mutating func encode(_ value: Int) throws { try scalar(Int64(value)) }
    mutating func encode(_ value: Int8) throws { try scalar(value) }
    mutating func encode(_ value: Int16) throws { try scalar(value) }
    mutating func encode(_ value: Int32) throws { try scalar(value) }
    mutating func encode(_ value: Int64) throws { try scalar(value) }
    @available(macOS 15.0, *)
    mutating func encode(_ value: Int128) throws { try scalar(value) }
    mutating func encode(_ value: UInt) throws { try scalar(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { try scalar(value) }
    mutating func encode(_ value: UInt16) throws { try scalar(value) }
    mutating func encode(_ value: UInt32) throws { try scalar(value) }
    mutating func encode(_ value: UInt64) throws { try scalar(value) }
    @available(macOS 15.0, *)
    mutating func encode(_ value: UInt128) throws { try scalar(value) }
    mutating func encode(_ value: Float) throws { try scalar(value) }
    mutating func encode(_ value: Double) throws { try scalar(value) }

    mutating func encode(_ value: String) throws {
        try state.beginSingleValue(depth: depth, id: id)
        state.writeString(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try state.beginSingleValue(depth: depth, id: id)
        if state.encodeFast(value) { return }
        if T.self is any BinaryOptionalMarker.Type {
            // An optional inside an optional: mark the outer `.some`, so `.some(nil)` is not read as nil.
            state.writer.write(BinaryTag.some)
        }
        try state.encodeNested(value, depth: depth + 1, path: .none)
    }
}
