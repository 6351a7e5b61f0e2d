/// Variable-size messages in a ring of bytes in shared memory, for ``ProcessQueue``: the layout
/// of the records and their two cursors, without any locking (the queue holds its producer lock
/// to write and its consumer lock to read).
///
/// A record is an 8-byte header (the message's length) and the message, padded to 8 bytes.
/// The capacity is a power of two and a multiple of 8, so a header never straddles the end;
/// a message that does is copied in two pieces.
///
/// A cursor (the tail that producers move, the head that consumers move) is one 64-bit word
/// holding a byte count (low 40 bits) and a message count (high 24 bits), both wrapping. One
/// store publishes a record (or frees one) with its count, so a process that dies halfway
/// through a put or get leaves a consistent ring: its record was published whole, or not at
/// all. The difference of the two cursors gives the bytes used and the messages queued.
struct MessageRing: @unchecked Sendable {
    // @unchecked: a pointer into a shared mapping that the owning queue keeps alive; callers
    // hold the lock of the side they move.
    let data: UnsafeMutableRawPointer
    let capacity: Int

    static let byteBits: UInt64 = 40
    static let byteMask: UInt64 = (1 << byteBits) - 1
    static let countMask: UInt64 = (1 << 24) - 1
    /// The most messages a ring may count (its count field is 24 bits wide).
    static let maxMessages = Int(countMask >> 1)
    static let maxCapacity = 1 << 39

    static func recordSize(_ messageBytes: Int) -> Int { 8 + (messageBytes + 7) & ~7 }

    struct Cursor: Equatable {
        var bytes: UInt64
        var messages: UInt64

        init(bytes: UInt64, messages: UInt64) {
            self.bytes = bytes & MessageRing.byteMask
            self.messages = messages & MessageRing.countMask
        }

        init(_ word: UInt64) {
            self.init(bytes: word, messages: word >> MessageRing.byteBits)
        }

        var word: UInt64 { bytes | messages << MessageRing.byteBits }
    }

    /// Bytes between a head and a tail.
    static func usedBytes(head: Cursor, tail: Cursor) -> Int {
        Int((tail.bytes &- head.bytes) & byteMask)
    }

    /// Messages between a head and a tail.
    static func messages(head: Cursor, tail: Cursor) -> Int {
        Int((tail.messages &- head.messages) & countMask)
    }

    private func position(_ cursor: Cursor) -> Int { Int(cursor.bytes) & (capacity - 1) }

    /// Writes a record for `message` at `tail`; returns the cursor after it (not yet published).
    func write(_ message: UnsafeRawBufferPointer, at tail: Cursor) -> Cursor {
        let start = position(tail)
        (data + start).storeBytes(of: UInt64(message.count), as: UInt64.self)
        copyIn(message, at: (start + 8) & (capacity - 1))
        return Cursor(bytes: tail.bytes + UInt64(Self.recordSize(message.count)), messages: tail.messages + 1)
    }

    /// Reads the record at `head`; returns the message and the cursor after it.
    func read(at head: Cursor) -> (message: [UInt8], next: Cursor) {
        let start = position(head)
        let count = Int(truncatingIfNeeded: data.load(fromByteOffset: start, as: UInt64.self))
        // A length beyond the ring can only come from damaged memory: read nothing rather
        // than run off the mapping.
        let length = count >= 0 && count <= capacity - 8 ? count : 0
        let message = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            copyOut(into: UnsafeMutableRawBufferPointer(buffer), from: (start + 8) & (capacity - 1))
            initialized = length
        }
        return (message, Cursor(bytes: head.bytes + UInt64(Self.recordSize(length)), messages: head.messages + 1))
    }

    private func copyIn(_ source: UnsafeRawBufferPointer, at position: Int) {
        guard let base = source.baseAddress, source.count > 0 else { return }
        let first = min(source.count, capacity - position)
        (data + position).copyMemory(from: base, byteCount: first)
        if first < source.count {
            data.copyMemory(from: base + first, byteCount: source.count - first)
        }
    }

    private func copyOut(into target: UnsafeMutableRawBufferPointer, from position: Int) {
        guard let base = target.baseAddress, target.count > 0 else { return }
        let first = min(target.count, capacity - position)
        base.copyMemory(from: data + position, byteCount: first)
        if first < target.count {
            (base + first).copyMemory(from: data, byteCount: target.count - first)
        }
    }
}
