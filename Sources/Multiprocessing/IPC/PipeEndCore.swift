import CMultiprocessing
import Synchronization

/// One end of a pipe in this process, below the types: frames of bytes over the shared rings,
/// the end's owner, its closing, and the peer's death. ``PipeEnd`` adds the message types.
///
/// Each process has at most one core per end (``PipeEndRegistry``): all the `PipeEnd` values
/// for that end share its local locks and its partly received frame.
///
/// Region layout: two 64-byte lines, one per end (owner token, closed flag; the first also
/// holds the two rings' capacities); two ring control blocks; the two rings' bytes. End 0
/// writes ring 0 and reads ring 1; a one-way pipe has no ring 1, so end 0 only sends and end
/// 1 only receives.
final class PipeEndCore: Sendable {
    static let dataOffset = 128 + 2 * ByteStreamRing.controlSize

    let region: SharedRegion
    let side: Int
    let outgoing: ByteStreamRing?
    let incoming: ByteStreamRing?
    private let owner: SharedWord64
    private let closedFlag: SharedWord32
    private let peerOwner: SharedWord64
    private let peerClosedFlag: SharedWord32
    private let sendLock = LocalAsyncLock()
    private let receiveLock = LocalAsyncLock()
    private let sendSpin = AdaptiveSpin()
    private let receiveSpin = AdaptiveSpin()
    /// The frame being received; touched only by the task that holds `receiveLock`, except for
    /// the read of ``FrameAssembler/hasPartialFrame`` by `poll()` (hence the mutex, uncontended).
    private let assembler = Mutex(FrameAssembler())
    /// When this process last looked at whether the peer's process lives (monotonic ns).
    private let lastLivenessCheck = Atomic<UInt64>(0)
    /// This process used the end, or received it from another: releasing its last value here
    /// closes it. (The creator's copy of an end it hands over is never used, and must not
    /// close it when released before the receiver attached.)
    private let closesOnRelease = Atomic<Bool>(false)

    /// A new pipe's region, both ends owned by this process.
    static func createRegion(capacities: (Int, Int)) throws -> SharedRegion {
        let region = try SharedRegion.create(kind: .pipe, payloadSize: dataOffset + capacities.0 + capacities.1)
        let p = region.payload
        p.storeBytes(of: UInt64(capacities.0), toByteOffset: 16, as: UInt64.self)
        p.storeBytes(of: UInt64(capacities.1), toByteOffset: 24, as: UInt64.self)
        SharedWord64(p).store(ProcessIdentity.token)
        SharedWord64(p + 64).store(ProcessIdentity.token)
        return region
    }

    init(region: SharedRegion, side: Int) {
        self.region = region
        self.side = side
        let p = region.payload
        let capacities = [Int(p.load(fromByteOffset: 16, as: UInt64.self)),
                          Int(p.load(fromByteOffset: 24, as: UInt64.self))]
        func ring(_ index: Int) -> ByteStreamRing? {
            guard capacities[index] > 0 else { return nil }
            return ByteStreamRing(control: p + 128 + index * ByteStreamRing.controlSize,
                                  buffer: p + Self.dataOffset + (index == 0 ? 0 : capacities[0]),
                                  capacity: capacities[index])
        }
        outgoing = ring(side)
        incoming = ring(1 - side)
        owner = SharedWord64(p + side * 64)
        closedFlag = SharedWord32(p + side * 64 + 8)
        peerOwner = SharedWord64(p + (1 - side) * 64)
        peerClosedFlag = SharedWord32(p + (1 - side) * 64 + 8)
    }

    deinit {
        if closesOnRelease.load(ordering: .relaxed) { close() }
    }

    // MARK: Ownership

    /// The owner when this end was encoded: this process takes the end over if that process
    /// still owns it (it handed the end over by encoding it).
    func adopt(from encoder: UInt64) {
        let me = ProcessIdentity.token
        if owner.load() == me { return }
        if owner.compareExchange(expected: encoder, desired: me).exchanged {
            closesOnRelease.store(true, ordering: .relaxed)
        }
    }

    var ownerToken: UInt64 { owner.load() }

    private func checkOwner() throws {
        let current = owner.load()
        guard current == ProcessIdentity.token else {
            throw IPCError.endOwnedByAnotherProcess(pid: ProcessIdentity.pid(of: current))
        }
        if !closesOnRelease.load(ordering: .relaxed) { closesOnRelease.store(true, ordering: .relaxed) }
    }

    // MARK: Closing and the peer

    var isClosed: Bool { closedFlag.load() != 0 }

    /// Closes this end, for good; the peer sees the end of the stream once it has read what was
    /// sent. Only the owner closes.
    func close() {
        guard owner.load() == ProcessIdentity.token, closedFlag.exchange(1) == 0 else { return }
        outgoing?.dataArrived.notifyIfSleeping()
        incoming?.spaceFreed.notifyIfSleeping()
    }

    /// Whether the peer closed its end, or (when `checkLiveness`, or when the last look is
    /// older than ``livenessCheckInterval``) its owner process is gone. A dead owner's end is
    /// marked closed, so that every later look (a send, a poll) sees it at the cost of a load.
    private func peerGone(checkLiveness: Bool) -> Bool {
        if peerClosedFlag.load() != 0 { return true }
        let now = cmp_ipc_coarse_ns()
        guard checkLiveness || now &- lastLivenessCheck.load(ordering: .relaxed) > livenessCheckInterval else { return false }
        lastLivenessCheck.store(now, ordering: .relaxed)
        guard !ProcessIdentity.isAlive(token: peerOwner.load()) else { return false }
        peerClosedFlag.store(1)
        return true
    }

    // MARK: Sending

    // The fast paths of send and receive make no async call: each costs a check of the task's
    // executor (`swift_task_switch`), a visible share of a round trip of a couple of microseconds.
    @inline(__always)
    func send(_ body: [UInt8]) async throws {
        guard let ring = outgoing else { throw IPCError.invalidArgument("this end of a one-way pipe only receives") }
        guard body.count < Int(UInt32.max) else { throw IPCError.messageTooLarge(bytes: body.count, capacity: Int(UInt32.max)) }
        try checkOwner()
        if !sendLock.tryLock() { try await sendLock.lock() }
        defer { sendLock.unlock() }
        guard closedFlag.load() == 0 else { throw IPCError.closed }
        guard !peerGone(checkLiveness: false) else { throw IPCError.peerClosed }
        if body.withUnsafeBytes({ ring.writeFrame($0) }) { return }
        var length = UInt32(body.count).littleEndian
        let header = withUnsafeBytes(of: &length) { Array($0) }
        try await write(header, to: ring, frameStarted: false)
        try await write(body, to: ring, frameStarted: true)
    }

    /// Writes all of `bytes`, waiting for room. Cancelled after a frame's first byte went out,
    /// the rest can never follow: the end closes, and the peer sees the stream end.
    private func write(_ bytes: [UInt8], to ring: ByteStreamRing, frameStarted: Bool) async throws {
        var offset = 0
        var started = frameStarted
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { ring.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            offset += written
            if written > 0 {
                started = true
                continue
            }
            if peerGone(checkLiveness: false) { throw IPCError.peerClosed }
            let tick = Deadline.after(nanoseconds: livenessCheckInterval)
            let outcome = await ring.spaceFreed.wait(until: { ring.free > 0 || peerClosedFlag.load() != 0 },
                                                     deadline: tick, spin: sendSpin)
            switch outcome {
            case .woken:
                continue
            case .timedOut:
                if peerGone(checkLiveness: true) { throw IPCError.peerClosed }
            case .cancelled:
                if started { close() }
                throw CancellationError()
            }
        }
    }

    // MARK: Receiving

    /// The next frame; nil if `deadline` passed first.
    @inline(__always)
    func receive(deadline: Deadline) async throws -> [UInt8]? {
        guard let ring = incoming else { throw IPCError.invalidArgument("this end of a one-way pipe only sends") }
        try checkOwner()
        if !receiveLock.tryLock() { try await receiveLock.lock() }
        defer { receiveLock.unlock() }
        guard closedFlag.load() == 0 else { throw IPCError.closed }
        while true {
            if let frame = assembler.withLock({ $0.take(from: ring) }) { return frame }
            switch try await awaitData(on: ring, deadline: deadline) {
            case true: continue
            case false: return nil
            }
        }
    }

    /// Waits until data may have arrived (true) or `deadline` passed (false).
    /// - Throws: ``IPCError/peerClosed`` once the stream is drained and the peer is gone;
    ///   `CancellationError`.
    private func awaitData(on ring: ByteStreamRing, deadline: Deadline) async throws -> Bool {
        if ring.available > 0 { return true }
        var checkLiveness = false
        while true {
            // The peer's last bytes are published before its closed flag: look at the ring again.
            if peerGone(checkLiveness: checkLiveness) {
                if ring.available > 0 { return true }
                throw IPCError.peerClosed
            }
            let tick = Deadline.after(nanoseconds: livenessCheckInterval)
            let outcome = await ring.dataArrived.wait(until: { ring.available > 0 || peerClosedFlag.load() != 0 },
                                                      deadline: min(deadline, tick), spin: receiveSpin)
            switch outcome {
            case .woken:
                return true
            case .cancelled:
                throw CancellationError()
            case .timedOut:
                if deadline.hasPassed { return ring.available > 0 }
                checkLiveness = true
            }
        }
    }

    /// Whether a receive would not wait now: data has arrived, or the peer is gone (the
    /// receive then throws ``IPCError/peerClosed``).
    func poll() -> Bool {
        guard let ring = incoming else { return false }
        return ring.available > 0 || assembler.withLock { $0.hasPartialFrame } || peerGone(checkLiveness: false)
    }

    /// Waits until ``poll()`` is true or `deadline` passes.
    func poll(deadline: Deadline) async throws -> Bool {
        guard let ring = incoming else { throw IPCError.invalidArgument("this end of a one-way pipe only sends") }
        try checkOwner()
        try await receiveLock.lock()
        defer { receiveLock.unlock() }
        while true {
            if poll() { return true }
            do {
                if try await !awaitData(on: ring, deadline: deadline) { return poll() }
            } catch IPCError.peerClosed {
                return true
            }
        }
    }
}

/// The pipe-end cores of this process, by region and side, held weakly: one per end.
enum PipeEndRegistry {
    private struct Key: Hashable {
        var nonce: UInt64
        var side: Int
    }

    private struct WeakCore {
        weak var core: PipeEndCore?
    }

    private static let table = Mutex<[Key: WeakCore]>([:])

    static func core(for region: SharedRegion, side: Int) -> PipeEndCore {
        table.withLock { table in
            let key = Key(nonce: region.nonce, side: side)
            if let core = table[key]?.core { return core }
            let core = PipeEndCore(region: region, side: side)
            table[key] = WeakCore(core: core)
            // Entries of released cores are dropped as the table grows.
            if table.count > 64 && table.count.isMultiple(of: 64) {
                table = table.filter { $0.value.core != nil }
            }
            return core
        }
    }
}
