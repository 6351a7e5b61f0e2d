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

    /// The current budget, in nanoseconds.
    var budget: UInt64 { nanos.load(ordering: .relaxed) }

    /// A wait slept `slept` nanoseconds before its event came (or its tick, which counts as long).
    func recordSleep(_ slept: UInt64) {
        let current = budget
        let next = slept <= Self.maximum
            ? Swift.min(Self.maximum, Swift.max(current, 2 * slept))
            : Swift.max(Self.minimum, current / 2)
        nanos.store(next, ordering: .relaxed)
    }
}
