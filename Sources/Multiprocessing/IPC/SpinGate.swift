/// Whether a thread's spin for work pays now: it stops while the thread keeps losing its CPU.
///
/// Why: a spinning thread stays runnable, so when the CPUs have more runnable threads than they
/// can run (a busy machine, busy threads beside the pool), each yield or preemption sends it to
/// the back of the run queue for a time slice (milliseconds: an `apply` took 8 ms instead of
/// 40 us with 4 busy threads per CPU), while a thread asleep in `epoll_wait` or `poll` is run
/// almost at once when its message wakes it. A spin round takes about a microsecond; when two
/// rounds are more than `stallNanos` apart, the thread was kept off its CPU longer than a wake-up
/// costs, so spinning is off for a while (`initialPauseNanos`, doubling while it keeps happening,
/// up to `maximumPauseNanos`); a spin without such a gap sets the pause back. Only the monotonic
/// clock is read (no system call).
///
/// One gate per spinning thread (the reactor's, a worker's main loop): not shared.
struct SpinGate {
    static let stallNanos: UInt64 = 250_000
    static let initialPauseNanos: UInt64 = 20_000_000
    static let maximumPauseNanos: UInt64 = 1_000_000_000

    private var pausedUntil: UInt64 = 0
    private var pause = initialPauseNanos
    /// When the spin's last round began (0: no spin under way).
    private var lastRound: UInt64 = 0

    init() {}

    /// Whether the thread may spin a round at monotonic time `now`; call it before every round.
    mutating func allowsSpin(at now: UInt64) -> Bool {
        if now < pausedUntil { return false }
        if stalled(at: now) { return false }
        lastRound = now
        return true
    }

    /// The spin ended at `now`: work came, or its time was up (the last round may have stalled).
    mutating func spinEnded(at now: UInt64) {
        if !stalled(at: now) && lastRound != 0 { pause = Self.initialPauseNanos }
        lastRound = 0
    }

    /// Whether the thread was off its CPU too long since the last round; if so, spinning pauses.
    private mutating func stalled(at now: UInt64) -> Bool {
        guard lastRound != 0 && now &- lastRound > Self.stallNanos else { return false }
        pausedUntil = now &+ pause
        pause = Swift.min(pause &* 2, Self.maximumPauseNanos)
        lastRound = 0
        return true
    }
}
