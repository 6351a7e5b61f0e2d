import CMultiprocessing
import Synchronization

/// How a wait on a shared word ended.
enum WaitOutcome: Sendable {
    /// The word no longer held the expected value (or the wait woke spuriously): look again.
    case woken
    case timedOut
    case cancelled
}

/// Suspends Swift tasks until a futex word in shared memory changes, without blocking a thread
/// of Swift's cooperative pool.
///
/// Why dedicated threads, and why not polling: every waiting call of the IPC objects (a lock,
/// a queue's `get`, a pipe's `receive`, an event, a barrier) ends up waiting for a 32-bit word
/// to change. Blocking in `futex(FUTEX_WAIT)` on a cooperative thread would starve the pool
/// (it has as many threads as CPUs), and polling with `Task.sleep` trades wake-up latency
/// against wasted CPU. Instead a task registers `(word, expected value, deadline)` here and
/// suspends; a few threads owned by the library sleep in `futex_waitv` (Linux 5.16), which
/// waits on up to 128 words at once, and resume the tasks whose word changed or whose
/// deadline passed. Tasks of this process that wait on the same word with the same value
/// share one slot, so a thread serves any number of tasks waiting on up to 127 words (one
/// slot is the thread's own control word), and another thread starts when those run out.
/// Cancelling a waiting task resumes it at once, from the cancellation handler.
///
/// Callers spin briefly before they come here (``Spin``): a wake-up through the kernel and this
/// thread costs tens of microseconds, a hand-off through shared memory well under one.
final class FutexWaitCenter: Sendable {
    static let shared = FutexWaitCenter()

    private let threads = Mutex<[FutexWaitThread]>([])

    /// Suspends until `word` no longer holds `expected`, `deadline` passes or (if
    /// `cancellable`) the task is cancelled. May return ``WaitOutcome/woken`` spuriously:
    /// callers re-check their condition in a loop.
    ///
    /// The caller must keep the memory of `word` mapped until this returns (the object that
    /// owns the word is alive across the await).
    func wait(on word: SharedWord32, expected: UInt32, deadline: Deadline,
              cancellable: Bool = true) async -> WaitOutcome {
        if word.load() != expected { return .woken }
        if cancellable && Task.isCancelled { return .cancelled }
        if deadline.hasPassed { return .timedOut }
        let address = UInt(bitPattern: word.futexAddress)
        let (thread, id) = reserve(address: address, expected: expected, deadline: deadline)
        guard cancellable else {
            return await withCheckedContinuation { thread.attach(id: id, continuation: $0) }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { thread.attach(id: id, continuation: $0) }
        } onCancel: {
            thread.cancel(id: id)
        }
    }

    private func reserve(address: UInt, expected: UInt32, deadline: Deadline) -> (FutexWaitThread, UInt64) {
        threads.withLock { threads in
            for thread in threads {
                if let id = thread.reserve(address: address, expected: expected, deadline: deadline) {
                    return (thread, id)
                }
            }
            let thread = FutexWaitThread()
            threads.append(thread)
            thread.start()
            // A new thread has room for at least one word.
            let id = thread.reserve(address: address, expected: expected, deadline: deadline)!
            return (thread, id)
        }
    }
}
