/// A lock shared by processes that survives the death of its holder: Python's
/// `multiprocessing.Lock`, without its deadlock when a holder dies.
///
/// ```swift
/// let lock = try ProcessLock()
/// let counter = try SharedArray<Int>(count: 1)
/// // In each of several processes (the lock and the array are stored properties of a job):
/// try await lock.withLock { counter[0] += 1 }
/// ```
///
/// The lock belongs to a process: any task of the holding process may unlock it, even after
/// awaiting on another thread (a pthread mutex would refuse), and it is not recursive (a
/// second `lock()` in the holding process waits; see ``ProcessRecursiveLock``). Waiting
/// suspends the task and never blocks a thread of Swift's cooperative pool; cancelling the
/// task ends the wait with `CancellationError`.
///
/// **When the holder dies.** If the holding process exits or crashes, the next process to
/// lock it (within about 50 ms) gets ``Acquisition/previousOwnerDied``: it holds the lock, and
/// the state the lock protects may be half-updated. Repair the state, then call
/// ``markConsistent()``. Until someone does, every acquirer is told the same, and
/// ``withLock(isolation:_:)`` refuses to run its body and throws ``IPCError/previousOwnerDied``.
/// (This is the contract of a robust pthread mutex's `EOWNERDEAD` and of Rust's poisoned
/// mutexes.)
///
/// **Sharing.** The lock is `Codable`: store it in a ``Job`` or ``ProcessTarget``, put it in a
/// ``ProcessQueue`` message or send it through a ``PipeEnd``; decoding it in another process
/// attaches to the same lock. The process that encoded it (or the one that created it) must
/// still hold it when the other process decodes it.
public final class ProcessLock: Codable, Sendable {
    /// How a lock was acquired.
    public enum Acquisition: Sendable, Equatable {
        /// The lock was free or released normally.
        case acquired
        /// A holder died holding the lock, and nobody has called ``ProcessLock/markConsistent()``
        /// since: the caller holds the lock, and the state it protects may be inconsistent.
        case previousOwnerDied

        init(_ acquired: LockWord.Acquired) {
            self = acquired == .clean ? .acquired : .previousOwnerDied
        }
    }

    let region: SharedRegion
    let core: LockWord

    /// A new, unlocked lock.
    public init() throws {
        region = try SharedRegion.create(kind: .lock, payloadSize: LockWord.size)
        core = LockWord(region.payload)
    }

    /// Attaches to the lock a handle names (see the type's discussion of sharing).
    /// - Throws: ``IPCError/cannotAttach(_:)`` when no process holds it any more.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        region = try container.decodeRegion(forKey: .region, as: .lock)
        core = LockWord(region.payload)
    }

    /// Encodes a handle: decoding it in another process attaches to this object there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeRegion(region, forKey: .region)
    }

    private enum CodingKeys: String, CodingKey {
        case region
    }

    /// Takes the lock, waiting while another task or process holds it (Python's `acquire()`).
    /// - Returns: whether the previous holder died holding it.
    /// - Throws: `CancellationError` if the task is cancelled while it waits.
    @discardableResult
    public func lock() async throws -> Acquisition {
        switch await core.lock() {
        case let .acquired(acquired): return Acquisition(acquired)
        case .cancelled, .timedOut: throw CancellationError()
        }
    }

    /// Takes the lock, waiting at most `timeout` (Python's `acquire(timeout=...)`).
    /// - Returns: nil if the lock was still held when the time ran out.
    public func lock(timeout: Duration) async throws -> Acquisition? {
        switch await core.lock(deadline: .after(timeout)) {
        case let .acquired(acquired): return Acquisition(acquired)
        case .timedOut: return nil
        case .cancelled: throw CancellationError()
        }
    }

    /// Takes the lock if it is free (Python's `acquire(block=False)`); nil if it is held.
    public func tryLock() -> Acquisition? {
        core.tryLock().map(Acquisition.init)
    }

    /// Releases the lock (Python's `release()`). This process must hold it: unlocking a lock
    /// held by another process, or a free one, is a programming error and traps.
    public func unlock() {
        core.unlock()
    }

    /// Declares the protected state repaired after ``Acquisition/previousOwnerDied``.
    public func markConsistent() {
        core.markConsistent()
    }

    /// False after a holder died, until ``markConsistent()``.
    public var isConsistent: Bool { core.isConsistent }

    /// Whether some process holds the lock now (a snapshot).
    public var isLocked: Bool { core.isLocked }

    /// Runs `body` holding the lock (Python's `with lock:`).
    /// - Throws: ``IPCError/previousOwnerDied`` without running `body` if a holder died and the
    ///   state was not marked consistent since; `CancellationError`; or what `body` throws.
    public func withLock<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> Result
    ) async throws -> Result {
        if try await lock() == .previousOwnerDied {
            unlock()
            throw IPCError.previousOwnerDied
        }
        defer { unlock() }
        return try await body()
    }
}
