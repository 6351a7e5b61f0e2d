/// The tail of a received frame's body, shared rather than copied: a big chunk of inputs or
/// outputs is decoded straight from the bytes the channel delivered.
struct Payload: Sendable, Equatable {
    let storage: [UInt8]
    let start: Int

    init(_ bytes: [UInt8], from start: Int = 0) {
        self.storage = bytes
        self.start = min(start, bytes.count)
    }

    var count: Int { storage.count - start }
    var isEmpty: Bool { count == 0 }

    func reader() -> ByteReader { ByteReader(storage, from: start) }

    /// A copy as its own array, for the rare paths that want one.
    var bytes: [UInt8] { start == 0 ? storage : Array(storage[start...]) }

    static func == (lhs: Payload, rhs: Payload) -> Bool {
        lhs.storage[lhs.start...] == rhs.storage[rhs.start...]
    }
}
