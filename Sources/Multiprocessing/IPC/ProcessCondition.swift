/// A condition variable shared by processes: Python's `multiprocessing.Condition`.
///
/// ```swift
/// let condition = try ProcessCondition()
/// // A consumer:
/// try await condition.withLock {
///     try await condition.wait(for: { !items.isEmpty })
///     take(items)
/// }
/// // A producer:
/// try await condition.withLock {
///     add(items)
///     try condition.notify()
/// }
/// ```
///
/// The condition has a ``lock`` (a new ``ProcessLock`` unless you pass one). ``wait()``
/// must be called holding it: it releases the lock, waits for a ``notify(_:)`` or
/// ``notifyAll()``, and holds the lock again whenever it returns or throws. `notify(n)` wakes
/// at most `n` waiters, those that were waiting when it was called. As with every condition
/// variable, re-check what you wait for in a loop (``wait(isolation:for:)`` does).
///
/// A waiter's process that dies while it waits makes one later `notify` wake nobody (Python's
/// condition has the same flaw); a holder's death is reported as for ``ProcessLock``. The
/// condition is `Codable` and travels like every IPC object (see ``ProcessLock``).
public final class ProcessCondition: Codable, Sendable {
    /// The lock this condition's waiters and notifiers hold.
    public let lock: ProcessLock

    let region: SharedRegion
    /// Bumped by each notify; sleepers wait for it to move.
    private let events: EventCount
    /// Waiters that no notify has chosen yet.
    private let waiting: SharedWord32
    /// Notifications given to waiters and not yet taken.
    private let tokens: SharedWord32

    /// A condition with a new lock, or with `lock`.
    public init(lock: ProcessLock? = nil) throws {
        self.lock = try lock ?? ProcessLock()
        region = try SharedRegion.create(kind: .condition, payloadSize: 16)
        (events, waiting, tokens) = Self.layout(region)
    }

    /// Attaches to the condition (and its lock) a handle names.
    /// - Throws: ``IPCError/cannotAttach(_:)`` when no process holds it any more.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        lock = try container.decode(ProcessLock.self, forKey: .lock)
        region = try container.decodeRegion(forKey: .region, as: .condition)
        (events, waiting, tokens) = Self.layout(region)
    }

    /// Encodes a handle: decoding it in another process attaches to this object there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lock, forKey: .lock)
        try container.encodeRegion(region, forKey: .region)
    }

    private enum CodingKeys: String, CodingKey {
        case lock, region
    }

    private static func layout(_ region: SharedRegion) -> (EventCount, SharedWord32, SharedWord32) {
        (EventCount(region.payload), SharedWord32(region.payload + 8), SharedWord32(region.payload + 12))
    }

    /// Runs `body` holding ``lock`` (Python's `with condition:`).
    public func withLock<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> Result
    ) async throws -> Result {
        try await lock.withLock(body)
    }

    /// Releases the lock, waits for a notification, and takes the lock again (Python's
    /// `wait()`). The lock is held again whenever this returns or throws.
    /// - Throws: ``IPCError/lockNotHeld`` if this process does not hold the lock;
    ///   `CancellationError` if the task is cancelled; ``IPCError/previousOwnerDied`` if, while
    ///   it waited, a holder of the lock died (the lock is held; see ``ProcessLock``).
    public func wait() async throws {
        _ = try await wait(deadline: .never)
    }

    /// As ``wait()``, for at most `timeout`; returns false if no notification came in time
    /// (Python's `wait(timeout)`).
    public func wait(timeout: Duration) async throws -> Bool {
        try await wait(deadline: .after(timeout))
    }

    /// Waits until `predicate` holds, evaluating it with the lock held (Python's `wait_for`).
    public func wait(
        isolation: isolated (any Actor)? = #isolation,
        for predicate: () throws -> Bool
    ) async throws {
        while try !predicate() {
            _ = try await wait(deadline: .never)
        }
    }

    /// Waits at most `timeout` until `predicate` holds; returns its last value.
    public func wait(
        isolation: isolated (any Actor)? = #isolation,
        timeout: Duration,
        for predicate: () throws -> Bool
    ) async throws -> Bool {
        let deadline = Deadline.after(timeout)
        while try !predicate() {
            if try await !wait(deadline: deadline) { return try predicate() }
        }
        return true
    }

    private func wait(deadline: Deadline) async throws -> Bool {
        guard lock.core.isHeldByThisProcess else { throw IPCError.lockNotHeld }
        // Read under the lock, before any notify that may follow: a waiter looks for a token
        // only once the sequence moved past this, so it never takes one given out before it
        // waited (a notify wakes those that were waiting when it was called).
        var seen = events.prepare()
        waiting.add(1)
        lock.unlock()
        var notified = false
        var cancelled = false
        while true {
            let outcome = await events.wait(expected: seen, deadline: deadline, spin: Spin.lockNanos)
            if outcome == .woken {
                if takeToken() {
                    notified = true
                    break
                }
                // A notify adds its tokens before it bumps the sequence: a token added after
                // this look comes with a bump that ends the next wait at once.
                seen = events.prepare()
                if takeToken() {
                    notified = true
                    break
                }
                continue
            }
            cancelled = outcome == .cancelled
            notified = !giveUp()
            break
        }
        let relocked = await lock.core.lock(cancellable: false)
        if cancelled {
            // A notification this task took but will not act on goes to another waiter.
            if notified { grant(1) }
            throw CancellationError()
        }
        if case .acquired(.ownerDied) = relocked { throw IPCError.previousOwnerDied }
        return notified
    }

    private func takeToken() -> Bool {
        var current = tokens.load()
        while current > 0 {
            let (exchanged, seen) = tokens.compareExchange(expected: current, desired: current - 1)
            if exchanged { return true }
            current = seen
        }
        return false
    }

    /// A waiter that times out leaves the waiting count; returns false if a notify chose it
    /// first, in which case it takes the token that notify is adding.
    private func giveUp() -> Bool {
        var current = waiting.load()
        while current > 0 {
            let (exchanged, seen) = waiting.compareExchange(expected: current, desired: current - 1)
            if exchanged { return true }
            current = seen
        }
        // The notifier has counted this waiter out and adds its token in a moment (a few
        // instructions later, unless it is descheduled or died in between). Past 20 ms this
        // waiter goes as if notified, and the token, when it comes, wakes another waiter
        // spuriously, which a condition's waiters must allow for anyway.
        _ = Spin.until(budget: 20_000_000) { takeToken() }
        return false
    }

    /// Wakes at most `count` waiting tasks (Python's `notify(n)`).
    /// - Throws: ``IPCError/lockNotHeld`` if this process does not hold the lock.
    public func notify(_ count: Int = 1) throws {
        guard lock.core.isHeldByThisProcess else { throw IPCError.lockNotHeld }
        guard count > 0 else { return }
        grant(UInt32(clamping: count))
    }

    /// Wakes every waiting task (Python's `notify_all()`).
    /// - Throws: ``IPCError/lockNotHeld`` if this process does not hold the lock.
    public func notifyAll() throws {
        try notify(Int(UInt32.max))
    }

    private func grant(_ count: UInt32) {
        var current = waiting.load()
        var chosen: UInt32 = 0
        while current > 0 {
            chosen = min(count, current)
            let (exchanged, seen) = waiting.compareExchange(expected: current, desired: current - chosen)
            if exchanged { break }
            current = seen
            chosen = 0
        }
        guard chosen > 0 else { return }
        tokens.add(chosen)
        events.notifyAll()
    }
}
