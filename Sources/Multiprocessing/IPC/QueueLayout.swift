/// Where a ``ProcessQueue``'s shared state lives in its region, one cache line per writer so
/// that a producer and a consumer in two processes share only the lines that carry messages.
///
/// Two locks instead of one (the "two-lock queue" of Michael and Scott): producers take the
/// producer lock to write a record and move the tail, consumers take the consumer lock to read
/// one and move the head. A producer and a consumer never wait for each other, and each keeps a
/// copy of the other side's cursor that it reloads only when the ring looks full (or empty), so
/// that most puts and gets read nothing the other side writes.
///
/// | Offset | Line |
/// |---|---|
/// | 0 | producer lock, tail, the producers' copy of the head |
/// | 64 | consumer lock, head, the consumers' copy of the tail |
/// | 128 | capacity, count limit (written once) |
/// | 192 | closed flag |
/// | 256 | not-empty event count |
/// | 320 | not-full event count |
/// | 384 | all-done event count, unfinished count |
/// | 448 | the ring |
struct QueueLayout: Sendable {
    static let ringOffset = 448

    let producerLock: LockWord
    let tail: SharedWord64
    let headSeenByProducers: SharedWord64
    let consumerLock: LockWord
    let head: SharedWord64
    let tailSeenByConsumers: SharedWord64
    let closed: SharedWord32
    let notEmpty: EventCount
    let notFull: EventCount
    let allDone: EventCount
    let unfinished: SharedWord64
    let ring: MessageRing
    let countLimit: Int

    /// Writes the settings of a new queue's region.
    static func initialize(_ region: SharedRegion, capacity: Int, countLimit: Int) {
        region.payload.storeBytes(of: UInt64(capacity), toByteOffset: 128, as: UInt64.self)
        region.payload.storeBytes(of: UInt64(countLimit), toByteOffset: 136, as: UInt64.self)
    }

    init(_ region: SharedRegion) {
        let p = region.payload
        producerLock = LockWord(p)
        tail = SharedWord64(p + 16)
        headSeenByProducers = SharedWord64(p + 24)
        consumerLock = LockWord(p + 64)
        head = SharedWord64(p + 80)
        tailSeenByConsumers = SharedWord64(p + 88)
        closed = SharedWord32(p + 192)
        notEmpty = EventCount(p + 256)
        notFull = EventCount(p + 320)
        allDone = EventCount(p + 384)
        unfinished = SharedWord64(p + 392)
        ring = MessageRing(data: p + Self.ringOffset,
                           capacity: Int(p.load(fromByteOffset: 128, as: UInt64.self)))
        countLimit = Int(p.load(fromByteOffset: 136, as: UInt64.self))
    }

    /// Whether a record of `recordSize` bytes fits between `head` and `tail`.
    func fits(_ recordSize: Int, head: MessageRing.Cursor, tail: MessageRing.Cursor) -> Bool {
        MessageRing.messages(head: head, tail: tail) < countLimit
            && MessageRing.usedBytes(head: head, tail: tail) + recordSize <= ring.capacity
    }

    /// The messages queued now (a snapshot).
    var count: Int {
        MessageRing.messages(head: MessageRing.Cursor(head.load()), tail: MessageRing.Cursor(tail.load()))
    }
}
