/// A flag shared by processes that tasks wait for: Python's `multiprocessing.Event`.
///
/// ```swift
/// let ready = try ProcessEvent()
/// // In workers:   try await ready.wait()
/// // In the parent: ready.set()       // wakes every waiter, in every process
/// ```
///
/// Waiting suspends the task (no thread blocks) and ends with `CancellationError` when the
/// task is cancelled. The event is `Codable` and travels like every IPC object (see
/// ``ProcessLock``).
public final class ProcessEvent: Codable, Sendable {
    let region: SharedRegion
    /// The futex word: bit 0 says set, the bits above count the sets. A waiter returns when the
    /// word changes, so a `set()` followed at once by a `clear()` still wakes every task that
    /// waited (as Python's does), even one whose process looks only after the clear.
    private let flag: SharedWord32
    private let sleepers: SharedWord32

    /// A new event, not set.
    public init() throws {
        region = try SharedRegion.create(kind: .event, payloadSize: 8)
        (flag, sleepers) = (SharedWord32(region.payload), SharedWord32(region.payload + 4))
    }

    /// Attaches to the event a handle names.
    /// - Throws: ``IPCError/cannotAttach(_:)`` when no process holds it any more.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        region = try container.decodeRegion(forKey: .region, as: .event)
        (flag, sleepers) = (SharedWord32(region.payload), SharedWord32(region.payload + 4))
    }

    /// Encodes a handle: decoding it in another process attaches to this object there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeRegion(region, forKey: .region)
    }

    private enum CodingKeys: String, CodingKey {
        case region
    }

    /// Whether the event is set (Python's `is_set()`).
    public var isSet: Bool { flag.load() & 1 != 0 }

    /// Sets the event and wakes every waiter (Python's `set()`).
    public func set() {
        var current = flag.load()
        while current & 1 == 0 {
            let (exchanged, seen) = flag.compareExchange(expected: current, desired: (current &+ 2) | 1)
            if exchanged {
                if sleepers.load() != 0 { flag.wake() }
                return
            }
            current = seen
        }
    }

    /// Clears the event (Python's `clear()`): later waits wait for the next ``set()``.
    public func clear() {
        var current = flag.load()
        while current & 1 != 0 {
            let (exchanged, seen) = flag.compareExchange(expected: current, desired: current & ~1)
            if exchanged { return }
            current = seen
        }
    }

    /// Waits until the event is set (Python's `wait()`).
    /// - Throws: `CancellationError` if the task is cancelled while it waits.
    public func wait() async throws {
        guard try await wait(deadline: .never) else { throw CancellationError() }
    }

    /// Waits at most `timeout` for the event; returns whether it is set (Python's
    /// `wait(timeout)`).
    public func wait(timeout: Duration) async throws -> Bool {
        try await wait(deadline: .after(timeout))
    }

    private func wait(deadline: Deadline) async throws -> Bool {
        let start = flag.load()
        if start & 1 != 0 { return true }
        // From a cleared state the word changes only when someone sets the event.
        while true {
            if Spin.until(budget: Spin.lockNanos, { flag.load() != start }) { return true }
            sleepers.add(1)
            let outcome = await FutexWaitCenter.shared.wait(on: flag, expected: start, deadline: deadline)
            sleepers.subtract(1)
            switch outcome {
            case .woken: continue
            case .timedOut: return flag.load() != start
            case .cancelled: throw CancellationError()
            }
        }
    }
}
