/// A counting semaphore shared by processes: Python's `multiprocessing.Semaphore`, and
/// `BoundedSemaphore` when it has a ``maximum``.
///
/// ```swift
/// let slots = try ProcessSemaphore(value: 2)      // at most 2 processes in the section
/// try await slots.withPermit { try await download(url) }
/// ```
///
/// Waiting suspends the task (no thread blocks) and ends with `CancellationError` when the
/// task is cancelled. Unlike a lock, a semaphore has no owner: any process may release it, and
/// a permit held by a process that dies is not given back (as in Python). It is `Codable` and
/// travels like every IPC object (see ``ProcessLock``).
public final class ProcessSemaphore: Codable, Sendable {
    let region: SharedRegion
    /// The number of permits: the futex word waiters sleep on while it is 0.
    private let permits: SharedWord32
    private let sleepers: SharedWord32
    private let bound: SharedWord32

    /// A semaphore with `value` permits (Python's `Semaphore(value)`). With a `maximum`,
    /// releasing above it throws (Python's `BoundedSemaphore(value)` is `maximum: value`).
    public init(value: Int = 1, maximum: Int? = nil) throws {
        guard value >= 0, value < Int(UInt32.max) else {
            throw IPCError.invalidArgument("a semaphore's value must be in 0..<\(UInt32.max), not \(value)")
        }
        if let maximum, maximum < value || maximum >= Int(UInt32.max) {
            throw IPCError.invalidArgument("a semaphore's maximum must be at least its value (\(value)), not \(maximum)")
        }
        region = try SharedRegion.create(kind: .semaphore, payloadSize: 12)
        (permits, sleepers, bound) = Self.layout(region)
        permits.store(UInt32(value))
        bound.store(maximum.map(UInt32.init) ?? UInt32.max)
    }

    /// Attaches to the semaphore a handle names.
    /// - Throws: ``IPCError/cannotAttach(_:)`` when no process holds it any more.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        region = try container.decodeRegion(forKey: .region, as: .semaphore)
        (permits, sleepers, bound) = Self.layout(region)
    }

    /// Encodes a handle: decoding it in another process attaches to this object there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeRegion(region, forKey: .region)
    }

    private enum CodingKeys: String, CodingKey {
        case region
    }

    private static func layout(_ region: SharedRegion) -> (SharedWord32, SharedWord32, SharedWord32) {
        (SharedWord32(region.payload), SharedWord32(region.payload + 4), SharedWord32(region.payload + 8))
    }

    /// The permits available now (Python's `get_value()`; a snapshot).
    public var value: Int { Int(permits.load()) }

    /// The most permits it may hold, or nil when it is not bounded.
    public var maximum: Int? {
        let bound = bound.load()
        return bound == UInt32.max ? nil : Int(bound)
    }

    /// Takes a permit if one is free (Python's `acquire(block=False)`).
    public func tryAcquire() -> Bool {
        var current = permits.load()
        while current > 0 {
            let (exchanged, seen) = permits.compareExchange(expected: current, desired: current - 1)
            if exchanged { return true }
            current = seen
        }
        return false
    }

    /// Takes a permit, waiting until one is free (Python's `acquire()`).
    /// - Throws: `CancellationError` if the task is cancelled while it waits.
    public func acquire() async throws {
        guard try await acquire(deadline: .never) else { throw CancellationError() }
    }

    /// Takes a permit, waiting at most `timeout`; false if none was free in time.
    public func acquire(timeout: Duration) async throws -> Bool {
        try await acquire(deadline: .after(timeout))
    }

    private func acquire(deadline: Deadline) async throws -> Bool {
        while true {
            if tryAcquire() { return true }
            if Spin.until(budget: Spin.lockNanos, { permits.load() != 0 }) { continue }
            sleepers.add(1)
            let outcome = await FutexWaitCenter.shared.wait(on: permits, expected: 0, deadline: deadline)
            sleepers.subtract(1)
            switch outcome {
            case .woken: continue
            case .timedOut: return tryAcquire()
            case .cancelled: throw CancellationError()
            }
        }
    }

    /// Gives back `count` permits (Python's `release()`), waking as many waiters.
    /// - Throws: ``IPCError/releasedTooManyTimes`` if that would exceed ``maximum``.
    public func release(_ count: Int = 1) throws {
        guard count >= 1, count < Int(UInt32.max) else {
            throw IPCError.invalidArgument("release(\(count)): the count must be at least 1")
        }
        let bound = bound.load()
        var current = permits.load()
        while true {
            let (sum, overflow) = current.addingReportingOverflow(UInt32(count))
            guard !overflow, sum <= bound else { throw IPCError.releasedTooManyTimes }
            let (exchanged, seen) = permits.compareExchange(expected: current, desired: sum)
            if exchanged { break }
            current = seen
        }
        if sleepers.load() != 0 { permits.wake(Int32(clamping: count)) }
    }

    /// Runs `body` holding a permit.
    public func withPermit<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> Result
    ) async throws -> Result {
        try await acquire()
        defer { try? release() }
        return try await body()
    }
}
