/// One direction of a pipe: a byte stream through a ring in shared memory with exactly one
/// writing process and one reading process, so it needs no lock: the writer alone moves the
/// tail, the reader alone moves the head (single-producer single-consumer), each publishing
/// with a release store that the other reads with an acquire load.
///
/// Control layout (256 bytes, one cache line per side so that they do not false-share): the
/// tail; the head; the event count the reader sleeps on (bumped when data arrives); the event
/// count the writer sleeps on (bumped when space frees).
struct ByteStreamRing: @unchecked Sendable {
    // @unchecked: pointers into a shared mapping kept alive by the pipe end; the writer and
    // reader sides are each used by one task at a time (the end's local locks).
    static let controlSize = 256

    let tail: SharedWord64
    let head: SharedWord64
    let dataArrived: EventCount
    let spaceFreed: EventCount
    let buffer: UnsafeMutableRawPointer
    let capacity: Int

    init(control: UnsafeMutableRawPointer, buffer: UnsafeMutableRawPointer, capacity: Int) {
        tail = SharedWord64(control)
        head = SharedWord64(control + 64)
        dataArrived = EventCount(control + 128)
        spaceFreed = EventCount(control + 192)
        self.buffer = buffer
        self.capacity = capacity
    }

    private func copyIn(_ source: UnsafeRawPointer, count: Int, at streamPosition: UInt64) {
        let position = Int(streamPosition % UInt64(capacity))
        let first = min(count, capacity - position)
        (buffer + position).copyMemory(from: source, byteCount: first)
        if first < count { buffer.copyMemory(from: source + first, byteCount: count - first) }
    }

    private func copyOut(_ destination: UnsafeMutableRawPointer, count: Int, at streamPosition: UInt64) {
        let position = Int(streamPosition % UInt64(capacity))
        let first = min(count, capacity - position)
        destination.copyMemory(from: buffer + position, byteCount: first)
        if first < count { (destination + first).copyMemory(from: buffer, byteCount: count - first) }
    }

    // MARK: Writer side

    /// Bytes the writer may write now.
    var free: Int { capacity - Int(tail.load() &- head.loadAcquiring()) }

    /// Writes as much of `bytes` as fits now, publishes it and wakes the reader; returns how
    /// many bytes it wrote.
    func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let source = bytes.baseAddress else { return 0 }
        let currentTail = tail.load()
        let room = capacity - Int(currentTail &- head.loadAcquiring())
        let count = min(room, bytes.count)
        guard count > 0 else { return 0 }
        copyIn(source, count: count, at: currentTail)
        tail.storeReleasing(currentTail &+ UInt64(count))
        dataArrived.notifyIfSleeping()
        return count
    }

    /// Writes a whole frame (a 4-byte little-endian length, then `body`) if it fits now, with
    /// one publication and one notification; false if it does not fit.
    func writeFrame(_ body: UnsafeRawBufferPointer) -> Bool {
        let currentTail = tail.load()
        let room = capacity - Int(currentTail &- head.loadAcquiring())
        guard room >= 4 + body.count else { return false }
        var length = UInt32(body.count).littleEndian
        withUnsafeBytes(of: &length) { copyIn($0.baseAddress!, count: 4, at: currentTail) }
        if let source = body.baseAddress, body.count > 0 {
            copyIn(source, count: body.count, at: currentTail &+ 4)
        }
        tail.storeReleasing(currentTail &+ UInt64(4 + body.count))
        dataArrived.notifyIfSleeping()
        return true
    }

    // MARK: Reader side

    /// Bytes the reader may read now.
    var available: Int { Int(tail.loadAcquiring() &- head.load()) }

    /// Reads up to `target.count` bytes, frees their space and wakes the writer; returns how
    /// many it read.
    func read(into target: UnsafeMutableRawBufferPointer) -> Int {
        guard let destination = target.baseAddress else { return 0 }
        let currentHead = head.load()
        let count = min(Int(tail.loadAcquiring() &- currentHead), target.count)
        guard count > 0 else { return 0 }
        copyOut(destination, count: count, at: currentHead)
        head.storeReleasing(currentHead &+ UInt64(count))
        spaceFreed.notifyIfSleeping()
        return count
    }

    /// Reads a whole frame if one has fully arrived, with one publication and one
    /// notification; nil otherwise (nothing is consumed).
    func readFrame() -> [UInt8]? {
        let currentHead = head.load()
        let available = Int(tail.loadAcquiring() &- currentHead)
        guard available >= 4 else { return nil }
        var length: UInt32 = 0
        withUnsafeMutableBytes(of: &length) { copyOut($0.baseAddress!, count: 4, at: currentHead) }
        let count = Int(UInt32(littleEndian: length))
        guard available >= 4 + count else { return nil }
        let body = [UInt8](unsafeUninitializedCapacity: count) { target, initialized in
            if let destination = target.baseAddress, count > 0 {
                copyOut(UnsafeMutableRawPointer(destination), count: count, at: currentHead &+ 4)
            }
            initialized = count
        }
        head.storeReleasing(currentHead &+ UInt64(4 + count))
        spaceFreed.notifyIfSleeping()
        return body
    }
}
