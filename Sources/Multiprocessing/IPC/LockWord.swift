/// A mutual-exclusion lock in shared memory, owned by a *process*, that survives the death of
/// its holder: the core of ``ProcessLock``, ``ProcessRecursiveLock``, ``ProcessCondition`` and
/// of the queue's internal lock.
///
/// Layout (16 bytes): a 32-bit futex word holding the holder's pid (0 when free) plus a
/// "someone may sleep" bit; a flag that says a holder died and nobody repaired since; the
/// holder's start time (pid plus start time identify a process; pids are reused).
///
/// Why not a robust pthread mutex: a pthread mutex belongs to a *thread*. Only that thread may
/// unlock it (a robust mutex returns EPERM otherwise), and the kernel hands it on as
/// `EOWNERDEAD` when that thread exits. A Swift task hops between threads at every `await`, so
/// a task that locks, awaits and unlocks would unlock from another thread; and waiting in
/// `pthread_mutex_lock` would block a thread of Swift's cooperative pool (or pin a thread of
/// ours for as long as the lock is held). So this lock is a futex word (Drepper's "mutex 3":
/// 0 free, pid held, pid|waiters held with sleepers) owned by the process: any task of the
/// holding process may unlock it, waiters sleep through ``FutexWaitCenter``, and robustness
/// comes from a liveness check instead of the kernel's robust list: a waiter wakes every
/// ``livenessCheckInterval`` and, if the holder process is gone (or is a zombie, or its pid now
/// belongs to a newer process), takes the lock over with one compare-and-swap and is told the
/// previous owner died. The cost is that a dead holder is noticed within 50 ms, not at once.
struct LockWord: Sendable {
    static let size = 16
    static let sleepersBit: UInt32 = 0x8000_0000

    let word: SharedWord32
    let inconsistent: SharedWord32
    let holderStart: SharedWord64

    init(_ address: UnsafeMutableRawPointer) {
        word = SharedWord32(address)
        inconsistent = SharedWord32(address + 4)
        holderStart = SharedWord64(address + 8)
    }

    enum Acquired: Sendable {
        case clean
        /// A holder died and nobody marked the state consistent since.
        case ownerDied
    }

    enum Outcome: Sendable {
        case acquired(Acquired)
        case timedOut
        case cancelled
    }

    private var me: UInt32 { UInt32(bitPattern: ProcessIdentity.pid) }

    var isHeldByThisProcess: Bool { word.load() & ProcessIdentity.pidMask == me }
    var isLocked: Bool { word.load() != 0 }
    var holderPID: Int32? {
        let value = word.load() & ProcessIdentity.pidMask
        return value == 0 ? nil : Int32(bitPattern: value)
    }

    /// Takes the lock if it is free; never waits.
    @inline(__always)
    func tryLock() -> Acquired? {
        guard word.compareExchange(expected: 0, desired: me).exchanged else { return nil }
        return acquired()
    }

    @inline(__always)
    private func acquired() -> Acquired {
        holderStart.store(ProcessIdentity.startTime)
        return inconsistent.load() != 0 ? .ownerDied : .clean
    }

    /// Takes the lock, waiting (asynchronously) while another task or process holds it.
    func lock(deadline: Deadline = .never, cancellable: Bool = true) async -> Outcome {
        if let acquired = tryLock() { return .acquired(acquired) }
        if Spin.until(budget: Spin.lockNanos, { word.load() == 0 && word.compareExchange(expected: 0, desired: me).exchanged }) {
            return .acquired(acquired())
        }
        // A holder seen alive but with another start time than recorded: either its pid was
        // reused after it died, or it has just taken the lock and not yet written its start
        // time. Seen twice, a tick apart, it is the former.
        var mismatchSeen: UInt32?
        while true {
            var value = word.load()
            if value == 0 {
                // Sleepers may remain: take the lock with the bit set, so that unlock wakes one.
                if word.compareExchange(expected: 0, desired: me | Self.sleepersBit).exchanged {
                    return .acquired(acquired())
                }
                continue
            }
            if value & Self.sleepersBit == 0 {
                guard word.compareExchange(expected: value, desired: value | Self.sleepersBit).exchanged else { continue }
                value |= Self.sleepersBit
            }
            let tick = Deadline.after(nanoseconds: livenessCheckInterval)
            switch await FutexWaitCenter.shared.wait(on: word, expected: value, deadline: min(deadline, tick),
                                                     cancellable: cancellable) {
            case .woken:
                continue
            case .cancelled:
                passWakeUpOn()
                return .cancelled
            case .timedOut:
                if deadline.hasPassed {
                    passWakeUpOn()
                    return .timedOut
                }
                if let outcome = takeOverIfHolderDied(value, mismatchSeen: &mismatchSeen) {
                    return outcome
                }
            }
        }
    }

    private func takeOverIfHolderDied(_ value: UInt32, mismatchSeen: inout UInt32?) -> Outcome? {
        let holder = Int32(bitPattern: value & ProcessIdentity.pidMask)
        switch ProcessIdentity.liveness(of: holder, startTime: holderStart.load()) {
        case .alive:
            mismatchSeen = nil
            return nil
        case .aliveWithOtherStartTime:
            defer { mismatchSeen = value }
            guard mismatchSeen == value else { return nil }
        case .dead:
            break
        }
        guard word.compareExchange(expected: value, desired: me | Self.sleepersBit).exchanged else { return nil }
        inconsistent.store(1)
        holderStart.store(ProcessIdentity.startTime)
        return .acquired(.ownerDied)
    }

    /// A waiter that gives up may have been the one an unlock woke: if the lock is free, wake
    /// another so that no sleeper waits for its next liveness tick.
    private func passWakeUpOn() {
        if word.load() == 0 { word.wake(1) }
    }

    /// Releases the lock; the caller's process must hold it.
    func unlock() {
        let value = word.load()
        precondition(value & ProcessIdentity.pidMask == me,
                     "swift-multiprocessing: unlock of a lock that this process does not hold (holder: \(value & ProcessIdentity.pidMask))")
        if word.exchange(0) & Self.sleepersBit != 0 { word.wake(1) }
    }

    /// Declares the protected state repaired after a holder died.
    func markConsistent() {
        inconsistent.store(0)
    }

    var isConsistent: Bool { inconsistent.load() == 0 }
}
