import CMultiprocessing
import Synchronization

/// How long a waiter for another process's next message spins before it sleeps, adapted to how
/// soon those messages come.
///
/// Why adapt: sleeping costs two wake-ups when the message comes (the futex thread, then a thread
/// of Swift's pool to resume the task), each tens of microseconds on a virtual machine whose idle
/// vCPU must be woken. If each side of a ping-pong spins for less than that, each side is asleep
/// when the other's reply comes, and they stay in that rhythm at a wake-up per message. So after a
/// sleep that ended soon, the next spin covers twice that time (up to ``maximum``); after a sleep
/// that was long (a slow peer), the budget halves, down to ``minimum``, so that a waiter for a slow
/// peer does not burn a CPU.
final class AdaptiveSpin: Sendable {
    static let minimum: UInt64 = 5_000
    static let maximum: UInt64 = 200_000
    static let initial: UInt64 = 40_000

    private let nanos = Atomic<UInt64>(initial)
    /// While the waiters' threads keep losing their CPU (see ``SpinGate``), no spin until then.
    private let pausedUntil = Atomic<UInt64>(0)
    private let pause = Atomic<UInt64>(SpinGate.initialPauseNanos)

    /// The current budget, in nanoseconds: 0 while spinning is paused.
    var budget: UInt64 {
        if pausedUntil.load(ordering: .relaxed) > cmp_monotonic_ns() { return 0 }
        return nanos.load(ordering: .relaxed)
    }

    /// A spin of `budget` nanoseconds took `took`: far longer means its thread was kept off
    /// its CPU (oversubscribed: each yield cost a time slice, where a sleeper is woken at once),
    /// so spins pause, as ``SpinGate`` does for the reactor's.
    func recordSpin(budget: UInt64, took: UInt64) {
        guard budget > 0 else { return }
        if took > budget &+ SpinGate.stallNanos {
            let current = pause.load(ordering: .relaxed)
            pausedUntil.store(cmp_monotonic_ns() &+ current, ordering: .relaxed)
            pause.store(Swift.min(current &* 2, SpinGate.maximumPauseNanos), ordering: .relaxed)
        } else {
            pause.store(SpinGate.initialPauseNanos, ordering: .relaxed)
        }
    }

    /// A wait slept `slept` nanoseconds before its event came (or its tick, which counts as long).
    func recordSleep(_ slept: UInt64) {
        let current = budget
        let next = slept <= Self.maximum
            ? Swift.min(Self.maximum, Swift.max(current, 2 * slept))
            : Swift.max(Self.minimum, current / 2)
        nanos.store(next, ordering: .relaxed)
    }
}
