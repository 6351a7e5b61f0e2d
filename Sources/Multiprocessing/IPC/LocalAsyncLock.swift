import DequeModule
import Synchronization

/// A first-come first-served lock for the tasks of this process, held across awaits: it keeps
/// the tasks that send (or receive) on one pipe end from interleaving their messages' bytes.
/// Waiting suspends the task; cancelling it ends the wait.
///
/// The common case, one task at a time, costs one compare-and-swap to lock and one to unlock.
/// `word` is 0 when free, 1 when held by a task that took it on the fast path, 2 when held and
/// tasks may be queued: a task that finds the lock held marks it 2 under the mutex that guards
/// the queue, so that the holder's unlock then goes through the mutex and hands the lock over.
final class LocalAsyncLock: Sendable {
    private typealias Waiter = (id: UInt64, continuation: CheckedContinuation<Void, any Error>)

    private struct Queue {
        var waiters: Deque<Waiter> = []
        var nextID: UInt64 = 0
    }

    private let word = Atomic<Int>(0)
    private let queue = Mutex(Queue())

    /// Takes the lock if it is free, without an async call (the common case: one sender).
    func tryLock() -> Bool {
        word.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged
    }

    func lock() async throws {
        if tryLock() { return }
        let id = queue.withLock { queue -> UInt64 in
            queue.nextID += 1
            return queue.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Start { case acquired, cancelled, queued }
                let start = queue.withLock { queue -> Start in
                    if acquireOrMarkQueued() { return .acquired }
                    // Cancelled before the handler could find this waiter: do not queue it.
                    // (The lock stays marked 2; its holder's unlock then frees it.)
                    if Task.isCancelled { return .cancelled }
                    queue.waiters.append((id, continuation))
                    return .queued
                }
                switch start {
                case .acquired: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let waiter = queue.withLock { queue -> Waiter? in
                guard let index = queue.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return queue.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Called holding the mutex: takes the lock if it is free (as 2), or marks the holder's
    /// word 2 so that its unlock looks at the queue. Returns whether it took the lock.
    private func acquireOrMarkQueued() -> Bool {
        while true {
            switch word.load(ordering: .acquiring) {
            case 0:
                if word.compareExchange(expected: 0, desired: 2, ordering: .acquiring).exchanged { return true }
            case 1:
                if word.compareExchange(expected: 1, desired: 2, ordering: .acquiring).exchanged { return false }
            default:
                return false
            }
        }
    }

    /// Releases the lock, handing it to the oldest waiter if there is one.
    func unlock() {
        if word.compareExchange(expected: 1, desired: 0, ordering: .releasing).exchanged { return }
        let next = queue.withLock { queue -> Waiter? in
            if let waiter = queue.waiters.popFirst() { return waiter }  // handed over: stays 2
            word.store(0, ordering: .releasing)
            return nil
        }
        next?.continuation.resume()
    }

    func withLock<Result>(isolation: isolated (any Actor)? = #isolation,
                          _ body: () async throws -> Result) async throws -> Result {
        try await lock()
        defer { unlock() }
        return try await body()
    }
}
