#if Postgres
import Synchronization

/// Wakes one waiting task: rung by a database notification or by finished work, waited on
/// with a deadline so that a lost notification costs a poll interval, never a hang.
///
/// Only a ring is remembered for the next wait: a wait that ends by its deadline or by its
/// task's cancellation leaves nothing behind (else every wait would be followed by one that
/// returns at once, doubling idle polling). One task waits at a time.
@_spi(Testing)
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: (wait: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var nextWait: UInt64 = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiting task, or the next one to wait if none is waiting.
    public func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter.continuation
            }
            state.rung = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when rung (or already rung since the last wait), after `limit`, or on cancellation.
    public func wait(upTo limit: Duration) async {
        let wait = state.withLock { state -> UInt64 in
            defer { state.nextWait += 1 }
            return state.nextWait
        }
        let timer = Task { [weak self] in
            // A cancelled timer (the wait ended first) must not wake anything.
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            self?.end(wait)
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    state.waiter = (wait, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            end(wait)
        }
    }

    /// Ends wait number `wait` if it is still waiting (its deadline passed, or its task was
    /// cancelled), without leaving a ring for the next.
    private func end(_ wait: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, waiter.wait == wait else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
#endif  // Postgres
