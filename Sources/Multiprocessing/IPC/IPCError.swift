/// Why an inter-process object (a queue, a pipe end, a lock, shared memory) refused an
/// operation.
public enum IPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A decoded handle cannot be attached: the process that encoded it (and the one that
    /// created the object) no longer hold it, because they released the object or exited.
    /// The text says which object and which processes.
    case cannotAttach(String)
    /// The queue was closed (``ProcessQueue/close()``), or this pipe end was closed.
    case closed
    /// The other end of a pipe was closed, or its process exited or crashed: Python's
    /// `EOFError` on `recv` and `BrokenPipeError` on `send`.
    case peerClosed
    /// This pipe end belongs to another process: an end is used by one process at a time,
    /// the last one that received it (see ``PipeEnd``).
    case endOwnedByAnotherProcess(pid: Int32)
    /// An encoded message does not fit in the queue's ring.
    case messageTooLarge(bytes: Int, capacity: Int)
    /// A message could not be encoded or decoded.
    case codingFailed(String)
    /// A process died while holding the lock, and nobody has called `markConsistent()` since:
    /// the state it protects may be half-updated. Thrown by `withLock` (which then runs nothing
    /// and releases the lock) and by ``ProcessCondition/wait()`` (which holds the lock again).
    case previousOwnerDied
    /// A condition was waited on or notified by a process that does not hold its lock.
    case lockNotHeld
    /// The barrier was broken: a party timed out or was cancelled, or ``ProcessBarrier/abort()``
    /// or ``ProcessBarrier/reset()`` was called while parties waited (Python's
    /// `BrokenBarrierError`).
    case brokenBarrier
    /// A bounded semaphore was released above its maximum, or a queue's ``ProcessQueue/taskDone()``
    /// was called more times than items were put (Python's `ValueError`).
    case releasedTooManyTimes
    /// An argument is out of its range.
    case invalidArgument(String)
    /// A system call failed.
    case systemCallFailed(call: String, errno: Int32)

    public var description: String {
        switch self {
        case let .cannotAttach(why): return "cannot attach to the shared object: \(why)"
        case .closed: return "closed"
        case .peerClosed: return "the other end of the pipe was closed, or its process exited"
        case let .endOwnedByAnotherProcess(pid): return "this pipe end belongs to process \(pid)"
        case let .messageTooLarge(bytes, capacity):
            return "a message of \(bytes) bytes does not fit in a queue of \(capacity) bytes"
        case let .codingFailed(why): return "coding failed: \(why)"
        case .previousOwnerDied:
            return "a process died holding the lock: the state it protects may be inconsistent"
        case .lockNotHeld: return "this process does not hold the condition's lock"
        case .brokenBarrier: return "the barrier is broken"
        case .releasedTooManyTimes: return "released more times than acquired"
        case let .invalidArgument(why): return "invalid argument: \(why)"
        case let .systemCallFailed(call, errno): return "\(call) failed with errno \(errno)"
        }
    }
}
