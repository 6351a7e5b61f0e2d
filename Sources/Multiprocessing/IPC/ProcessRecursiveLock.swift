#if canImport(Glibc)
import Glibc
#endif

/// A lock shared by processes that the holding *task* may take again: Python's
/// `multiprocessing.RLock`, which a thread may acquire again.
///
/// In Swift the owner is the task, not the thread (a task moves between threads at each
/// `await`): the task that holds the lock may lock it again, and must unlock it as many times.
/// Another task, even of the same process, waits; so does a child task of the holder (a task
/// in a `TaskGroup` inside the critical section), which would deadlock: lock again only from
/// the holding task itself.
///
/// A holder that dies is handled as for ``ProcessLock``: the next acquirer gets
/// ``ProcessLock/Acquisition/previousOwnerDied`` and should call ``markConsistent()``. The
/// lock is `Codable` and travels like every IPC object (see ``ProcessLock``).
public final class ProcessRecursiveLock: Codable, Sendable {
    let region: SharedRegion
    let core: LockWord
    /// The holding task (see ``TaskToken``), written by the holder only.
    private let ownerTask: SharedWord64
    /// How many times the holder locked it, written by the holder only.
    private let depth: SharedWord32

    /// A new, unlocked lock.
    public init() throws {
        region = try SharedRegion.create(kind: .recursiveLock, payloadSize: 32)
        (core, ownerTask, depth) = Self.layout(region)
    }

    /// Attaches to the lock a handle names.
    /// - Throws: ``IPCError/cannotAttach(_:)`` when no process holds it any more.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        region = try container.decodeRegion(forKey: .region, as: .recursiveLock)
        (core, ownerTask, depth) = Self.layout(region)
    }

    /// Encodes a handle: decoding it in another process attaches to this object there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeRegion(region, forKey: .region)
    }

    private enum CodingKeys: String, CodingKey {
        case region
    }

    private static func layout(_ region: SharedRegion) -> (LockWord, SharedWord64, SharedWord32) {
        (LockWord(region.payload), SharedWord64(region.payload + 16), SharedWord32(region.payload + 24))
    }

    private var heldByThisTask: Bool {
        core.isHeldByThisProcess && ownerTask.load() == TaskToken.current
    }

    /// Takes the lock, or takes it once more if this task holds it.
    /// - Throws: `CancellationError` if the task is cancelled while it waits.
    @discardableResult
    public func lock() async throws -> ProcessLock.Acquisition {
        try await lock(deadline: .never)!
    }

    /// Takes the lock, waiting at most `timeout`; nil if it was still held by another task then.
    public func lock(timeout: Duration) async throws -> ProcessLock.Acquisition? {
        try await lock(deadline: .after(timeout))
    }

    private func lock(deadline: Deadline) async throws -> ProcessLock.Acquisition? {
        if heldByThisTask {
            depth.add(1)
            return core.isConsistent ? .acquired : .previousOwnerDied
        }
        switch await core.lock(deadline: deadline) {
        case let .acquired(acquired):
            ownerTask.store(TaskToken.current)
            depth.store(1)
            return ProcessLock.Acquisition(acquired)
        case .timedOut:
            return nil
        case .cancelled:
            throw CancellationError()
        }
    }

    /// Releases one level; the last one frees the lock. This task must hold it (it traps
    /// otherwise).
    public func unlock() {
        precondition(heldByThisTask, "swift-multiprocessing: unlock of a ProcessRecursiveLock this task does not hold")
        if depth.subtract(1) == 1 {
            ownerTask.store(0)
            core.unlock()
        }
    }

    /// Declares the protected state repaired after a holder died.
    public func markConsistent() {
        core.markConsistent()
    }

    /// False after a holder died, until ``markConsistent()``.
    public var isConsistent: Bool { core.isConsistent }

    /// Runs `body` holding the lock; `body` may lock it again.
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

/// A number that identifies the running task while it lives: the owner of a recursive lock.
enum TaskToken {
    static var current: UInt64 {
        withUnsafeCurrentTask { task -> UInt64 in
            // The task's address: unique among live tasks, and a task outlives its hold on a
            // lock. `UnsafeCurrentTask` is one pointer wide.
            if let task { return UInt64(UInt(bitPattern: unsafeBitCast(task, to: Int.self))) }
            // Not in a task (a synchronous caller): the thread identifies it, with the top bit set.
            return UInt64(pthread_self()) | (1 << 63)
        }
    }
}
