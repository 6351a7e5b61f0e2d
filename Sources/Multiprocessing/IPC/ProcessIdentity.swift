import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Who this process is, and whether another one is still alive, for the objects that must
/// notice a dead peer: a lock's holder, a pipe end's owner.
///
/// A pid alone is not an identity: pids are reused (`pid_max` is 32768 on many machines). A
/// process is its pid plus its start time (field 22 of `/proc/<pid>/stat`), which no later
/// process with the same pid can share.
enum ProcessIdentity {
    /// This process's id. Workers are started by exec, never by fork, so it never changes
    /// under a running program.
    static let pid: Int32 = getpid()

    /// This process's start time, in clock ticks since boot (0 if /proc cannot tell).
    static let startTime: UInt64 = {
        var start: UInt64 = 0
        return cmp_ipc_probe_process(getpid(), &start) == 1 ? start : 0
    }()

    /// This process as one 64-bit word: pid in the low 22 bits, start time above (42 bits of
    /// clock ticks: over a thousand years at 100 Hz). Stored atomically where a pipe end names
    /// its owner, so that a reader never sees a pid with another process's start time.
    static let token: UInt64 = UInt64(UInt32(bitPattern: pid) & pidMask) | (startTime << 22)

    /// Whether the process a ``token`` names still runs.
    static func isAlive(token: UInt64) -> Bool {
        guard token != 0 else { return false }
        let pid = Int32(truncatingIfNeeded: token & UInt64(pidMask))
        return liveness(of: pid, startTime: token >> 22) == .alive
    }

    /// The pid in a ``token``.
    static func pid(of token: UInt64) -> Int32 {
        Int32(truncatingIfNeeded: token & UInt64(pidMask))
    }

    /// Pids fit in 22 bits on Linux (PID_MAX_LIMIT), which leaves the upper bits of a 32-bit
    /// futex word for flags.
    static let pidMask: UInt32 = 0x3F_FFFF

    enum Liveness {
        case alive
        /// Alive, but started at another time than recorded: the pid was reused, or the
        /// record is being written.
        case aliveWithOtherStartTime
        case dead
    }

    /// Whether process `pid`, which started at `startTime` (0: unknown), still runs. A zombie
    /// (exited, not yet reaped) counts as dead.
    static func liveness(of pid: Int32, startTime: UInt64) -> Liveness {
        if pid == Self.pid { return .alive }
        guard pid > 0 else { return .dead }
        var actual: UInt64 = 0
        switch cmp_ipc_probe_process(pid, &actual) {
        case 1:
            return startTime == 0 || actual == startTime ? .alive : .aliveWithOtherStartTime
        case 0:
            return .dead
        default:
            // /proc hides it (hidepid): fall back to a signal probe, which cannot see reuse.
            return kill(pid, 0) == 0 || errno == EPERM ? .alive : .dead
        }
    }
}
