import CMultiprocessing

/// A sequence number that waiters sleep on and notifiers bump: the "event count" pattern, the
/// building block of every "wait until something changed" in the IPC objects (a queue's
/// not-empty and not-full, a pipe's data and space, a condition's notifications).
///
/// Two words, 8 bytes, in shared memory: the sequence, and how many waiters sleep. A process
/// that dies while counted as sleeping only costs later notifications a system call.
///
/// It is used in two ways:
/// - **By condition** (``wait(until:deadline:spin:cancellable:)`` and ``notifyIfSleeping()``),
///   on hot paths: the waiter spins on its condition (the state itself, which the other side
///   writes anyway), then counts itself as a sleeper, looks at the condition once more, and
///   sleeps on the sequence. The notifier, after changing the state, touches the sequence only
///   when someone sleeps, so a busy producer and consumer share no extra cache line and make
///   no system call.
/// - **By sequence** (``prepare()``, ``wait(expected:deadline:spin:cancellable:)`` and
///   ``notifyAll()``), where the event is not visible in other state (a condition variable's
///   notify): the waiter reads the sequence first and waits until it moves.
struct EventCount: Sendable {
    let sequence: SharedWord32
    let sleepers: SharedWord32

    static let size = 8

    init(_ address: UnsafeMutableRawPointer) {
        sequence = SharedWord32(address)
        sleepers = SharedWord32(address + 4)
    }

    // MARK: By condition

    /// Wakes sleepers, if any, after the caller changed the state they wait for.
    @inline(__always) func notifyIfSleeping() {
        // Orders the caller's state change before the look at the sleepers (a release store of
        // the state could otherwise pass this load): either the look sees a sleeper, or the
        // sleeper's last look at the condition sees the change.
        cmp_ipc_fence()
        if sleepers.load() != 0 {
            sequence.add(1)
            sequence.wake()
        }
    }

    /// Waits until `condition()` holds: spins up to `spin` nanoseconds, then sleeps through
    /// ``FutexWaitCenter`` until a notification. Returns ``WaitOutcome/woken`` when the
    /// condition may hold (callers check the real state again).
    func wait(until condition: () -> Bool, deadline: Deadline, spin: AdaptiveSpin,
              cancellable: Bool = true) async -> WaitOutcome {
        if condition() { return .woken }
        if deadline.hasPassed { return .timedOut }
        let budget = spin.budget
        let spun = cmp_monotonic_ns()
        let caught = Spin.until(budget: budget, condition)
        spin.recordSpin(budget: budget, took: cmp_monotonic_ns() &- spun)
        if caught { return .woken }
        let expected = sequence.load()
        sleepers.add(1)
        defer { sleepers.subtract(1) }
        if condition() { return .woken }
        let asleep = cmp_monotonic_ns()
        let outcome = await FutexWaitCenter.shared.wait(on: sequence, expected: expected, deadline: deadline,
                                                        cancellable: cancellable)
        spin.recordSleep(outcome == .woken ? cmp_monotonic_ns() &- asleep : .max)
        return outcome
    }

    // MARK: By sequence

    @inline(__always) func prepare() -> UInt32 { sequence.load() }

    /// Bumps the sequence and wakes every sleeper (in every process).
    @inline(__always) func notifyAll() {
        sequence.add(1)
        // The add is a full barrier: either this load sees a sleeper that registered, or the
        // sleeper's futex wait sees the new sequence and does not sleep.
        if sleepers.load() != 0 { sequence.wake() }
    }

    /// Waits until the sequence differs from `expected`: spins up to `spin` nanoseconds, then
    /// sleeps through ``FutexWaitCenter``. May return ``WaitOutcome/woken`` spuriously.
    func wait(expected: UInt32, deadline: Deadline, spin: UInt64 = Spin.messageNanos,
              cancellable: Bool = true) async -> WaitOutcome {
        if sequence.load() != expected { return .woken }
        if deadline.hasPassed { return .timedOut }
        if Spin.until(budget: spin, { sequence.load() != expected }) { return .woken }
        sleepers.add(1)
        defer { sleepers.subtract(1) }
        return await FutexWaitCenter.shared.wait(on: sequence, expected: expected, deadline: deadline,
                                                 cancellable: cancellable)
    }
}
