import CMultiprocessing

/// Short busy-waits before sleeping.
///
/// On this kind of machine a hand-off through shared memory takes well under a microsecond,
/// while waking a sleeping process takes tens to hundreds (waking another vCPU is slow). A
/// waiter that spins a few tens of microseconds catches most hand-offs of a busy peer (a
/// pipe's reply, the next message of a producer) without paying a wake-up, and the spin is
/// bounded so that a waiter for a slow peer soon sleeps instead of burning a CPU. The spin runs
/// on the calling task's thread: it computes, it does not block.
enum Spin {
    /// For waits on another process's next step (a notification, a party): waits for a message
    /// use an ``AdaptiveSpin`` instead.
    static let messageNanos: UInt64 = 40_000
    /// For a lock held by someone else: critical sections are short.
    static let lockNanos: UInt64 = 10_000

    /// Spins until `condition()` holds or about `budget` nanoseconds pass; returns whether it
    /// holds.
    ///
    /// Between rounds of 4 pauses (about 0.1 µs) it yields the CPU (`sched_yield`, about 0.3 µs
    /// when no other thread wants the CPU). When the machine has more runnable threads than
    /// CPUs, the process this one waits for may be waiting for this very CPU: yielding at once
    /// lets it run, and a pipe's ping-pong then costs two context switches (about 4 µs a round
    /// trip here) where a spin that kept the CPU cost a time slice. When the two processes run
    /// on two CPUs the yields cost nothing measurable (1.6 µs a round trip either way).
    @inline(__always)
    static func until(budget: UInt64, _ condition: () -> Bool) -> Bool {
        if condition() { return true }
        guard budget > 0 else { return false }
        let start = cmp_monotonic_ns()
        while true {
            for _ in 0..<4 {
                cmp_ipc_cpu_relax()
                if condition() { return true }
            }
            if cmp_monotonic_ns() &- start >= budget { return false }
            cmp_ipc_yield()
            if condition() { return true }
        }
    }
}
