/// A barrier for a fixed number of parties in any processes: Python's `multiprocessing.Barrier`.
///
/// ```swift
/// let barrier = try ProcessBarrier(parties: 4)
/// // In each of 4 processes:
/// let index = try await barrier.wait()   // returns once all 4 have arrived
/// ```
///
/// ``wait()`` returns each party's arrival index, 0 to `parties - 1`. The barrier then serves
/// the next round. A party that times out or is cancelled breaks the barrier (Python's
/// behaviour): every waiter, and every later `wait`, throws ``IPCError/brokenBarrier`` until
/// ``reset()``. A party whose process dies while it waits is still counted, so the others wait
/// on: give `wait` a timeout where that matters. The barrier is `Codable` and travels like
/// every IPC object (see ``ProcessLock``).
public final class ProcessBarrier: Codable, Sendable {
    let region: SharedRegion
    /// Low half: how many parties wait in this round. High half, the futex word that waiters
    /// sleep on: the round's number times 4 plus its phase.
    private let state: SharedWord64
    private let round: SharedWord32
    private let sleepers: SharedWord32
    /// The number of parties.
    public let parties: Int

    private enum Phase: UInt64 {
        case filling = 0
        /// Waiters throw; the state stays until ``reset()``.
        case broken = 1
        /// ``reset()`` with waiters: they throw, and the last to leave starts a new round.
        case resetting = 2
    }

    /// A barrier for `parties` parties (at least 1).
    public init(parties: Int) throws {
        guard parties >= 1, parties < Int(Int32.max) else {
            throw IPCError.invalidArgument("a barrier needs at least 1 party, not \(parties)")
        }
        self.parties = parties
        region = try SharedRegion.create(kind: .barrier, payloadSize: 16)
        (state, round, sleepers) = Self.layout(region)
        region.payload.storeBytes(of: UInt32(parties), toByteOffset: 12, as: UInt32.self)
    }

    /// Attaches to the barrier a handle names.
    /// - Throws: ``IPCError/cannotAttach(_:)`` when no process holds it any more.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        region = try container.decodeRegion(forKey: .region, as: .barrier)
        (state, round, sleepers) = Self.layout(region)
        parties = Int(region.payload.load(fromByteOffset: 12, as: UInt32.self))
    }

    /// Encodes a handle: decoding it in another process attaches to this object there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeRegion(region, forKey: .region)
    }

    private enum CodingKeys: String, CodingKey {
        case region
    }

    private static func layout(_ region: SharedRegion) -> (SharedWord64, SharedWord32, SharedWord32) {
        // Linux runs little-endian on x86_64 and arm64: the high half is at byte 4.
        (SharedWord64(region.payload), SharedWord32(region.payload + 4), SharedWord32(region.payload + 8))
    }

    private static func split(_ value: UInt64) -> (round: UInt64, phase: Phase, count: UInt64) {
        let high = value >> 32
        return (high >> 2, Phase(rawValue: high & 3) ?? .broken, value & 0xFFFF_FFFF)
    }

    private static func join(round: UInt64, phase: Phase, count: UInt64) -> UInt64 {
        ((round & 0x3FFF_FFFF) << 34) | (phase.rawValue << 32) | count
    }

    /// How many parties wait now (Python's `n_waiting`; a snapshot).
    public var waitingCount: Int { Int(Self.split(state.load()).count) }

    /// Whether the barrier is broken (Python's `broken`).
    public var isBroken: Bool { Self.split(state.load()).phase != .filling }

    /// Waits until all parties have called `wait` (Python's `wait()`).
    /// - Returns: this party's arrival index, from 0 to `parties - 1`.
    /// - Throws: ``IPCError/brokenBarrier``; `CancellationError` (which breaks the barrier).
    @discardableResult
    public func wait() async throws -> Int {
        try await wait(deadline: .never)
    }

    /// As ``wait()``, for at most `timeout`: past it the barrier breaks and this throws
    /// ``IPCError/brokenBarrier`` (Python's `wait(timeout)`).
    @discardableResult
    public func wait(timeout: Duration) async throws -> Int {
        try await wait(deadline: .after(timeout))
    }

    private func wait(deadline: Deadline) async throws -> Int {
        while true {
            let current = state.load()
            let (number, phase, count) = Self.split(current)
            switch phase {
            case .broken:
                throw IPCError.brokenBarrier
            case .resetting:
                // Wait for the waiters of the reset round to leave.
                if try await sleep(expectingHigh: UInt32(truncatingIfNeeded: current >> 32), deadline: deadline) == .timedOut {
                    throw IPCError.brokenBarrier
                }
                continue
            case .filling:
                break
            }
            if count + 1 == UInt64(parties) {
                guard state.compareExchange(expected: current, desired: Self.join(round: number + 1, phase: .filling, count: 0)).exchanged else { continue }
                if sleepers.load() != 0 { round.wake() }
                return Int(count)
            }
            guard state.compareExchange(expected: current, desired: current + 1).exchanged else { continue }
            return try await awaitRound(number, index: Int(count), deadline: deadline)
        }
    }

    /// Sleeps until round `number` ends: tripped (returns), or broken or reset (throws).
    private func awaitRound(_ number: UInt64, index: Int, deadline: Deadline) async throws -> Int {
        while true {
            let current = state.load()
            let (now, phase, _) = Self.split(current)
            if now != number { return index }
            if phase != .filling {
                leave()
                throw IPCError.brokenBarrier
            }
            let outcome: WaitOutcome
            do {
                outcome = try await sleep(expectingHigh: UInt32(truncatingIfNeeded: current >> 32), deadline: deadline)
            } catch {
                // Cancelled: break the round, unless it tripped meanwhile (then this party passed).
                guard breakRound(number) else { return index }
                leave()
                throw error
            }
            if outcome == .timedOut {
                if breakRound(number) {
                    leave()
                    throw IPCError.brokenBarrier
                }
            }
        }
    }

    private func sleep(expectingHigh high: UInt32, deadline: Deadline) async throws -> WaitOutcome {
        if Spin.until(budget: Spin.lockNanos, { round.load() != high }) { return .woken }
        sleepers.add(1)
        defer { sleepers.subtract(1) }
        let outcome = await FutexWaitCenter.shared.wait(on: round, expected: high, deadline: deadline)
        if outcome == .cancelled { throw CancellationError() }
        return outcome
    }

    /// Breaks round `number` if it is still filling; returns false if the round tripped.
    private func breakRound(_ number: UInt64) -> Bool {
        while true {
            let current = state.load()
            let (now, phase, count) = Self.split(current)
            guard now == number else { return false }
            if phase != .filling { return true }
            if state.compareExchange(expected: current, desired: Self.join(round: now, phase: .broken, count: count)).exchanged {
                if sleepers.load() != 0 { round.wake() }
                return true
            }
        }
    }

    /// A waiter of a broken or resetting round leaves; the last to leave a reset round starts
    /// the next one.
    private func leave() {
        while true {
            let current = state.load()
            let (number, phase, count) = Self.split(current)
            let remaining = count > 0 ? count - 1 : 0
            let next = phase == .resetting && remaining == 0
                ? Self.join(round: number + 1, phase: .filling, count: 0)
                : Self.join(round: number, phase: phase, count: remaining)
            if state.compareExchange(expected: current, desired: next).exchanged {
                if next >> 32 != current >> 32, sleepers.load() != 0 { round.wake() }
                return
            }
        }
    }

    /// Breaks the barrier (Python's `abort()`): waiters and later `wait`s throw
    /// ``IPCError/brokenBarrier`` until ``reset()``.
    public func abort() {
        _ = breakRound(Self.split(state.load()).round)
    }

    /// Returns the barrier to its empty state (Python's `reset()`). Parties waiting now throw
    /// ``IPCError/brokenBarrier``.
    public func reset() {
        while true {
            let current = state.load()
            let (number, _, count) = Self.split(current)
            let next = count == 0
                ? Self.join(round: number + 1, phase: .filling, count: 0)
                : Self.join(round: number, phase: .resetting, count: count)
            if state.compareExchange(expected: current, desired: next).exchanged {
                if sleepers.load() != 0 { round.wake() }
                return
            }
        }
    }
}
