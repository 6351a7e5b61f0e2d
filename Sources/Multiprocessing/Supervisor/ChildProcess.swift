import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Signalling and reaping one child the library started, in a program that may do its own
/// thing with children: ignore SIGCHLD (the kernel then reaps every child at once and keeps no
/// status), or reap them itself with `waitpid(-1)` on some thread of its own.
///
/// Both go through the child's pidfd when it has one (Linux 5.3 and later). A pidfd names one
/// process for good, so a signal sent through it can never reach another process that got the
/// pid after the child was reaped by someone else; and the pidfd becomes readable when the child
/// exits, whoever reaps it. When the status was taken by someone else, the exit is still an
/// exit: ``ProcessExitStatus/unknown``.
///
/// The child leads a process group of its own (see `cmp_spawn_worker`), and the processes its
/// jobs start are in that group unless they leave it: when the child exits, or is terminated or
/// killed, the group goes with it. See ``ProcessTree`` for those that left the group.
enum ChildProcess {
    /// Sends `signal` to the child. SIGTERM and SIGKILL go to the processes it started as well:
    /// the same signal to its process group (whatever is left of the group is killed when the
    /// child exits), and SIGKILL to those of its descendants that left the group: once the child
    /// is gone they can no longer be found, and a SIGTERM may not reach them (a process started
    /// from a thread that blocks signals starts with them blocked). Without a pidfd, only call
    /// this while the child is known to be unreaped by the library (its pid is then still its
    /// own, unless the program reaps children itself).
    static func signal(pid: pid_t, pidFD: Int32, _ signal: Int32) {
        let wholeTree = signal == SIGKILL || signal == SIGTERM
        let probe = pidFD < 0 ? ENOSYS : (cmp_pidfd_send_signal(pidFD, 0) == 0 ? 0 : errno)
        if probe != ENOSYS {
            // ESRCH: reaped by someone else (the program's own waitpid); its pid, and so the
            // group's id and the parent links of /proc, may be another's by now.
            guard probe == 0 else { return }
            // Unreaped (a zombie at most): its pid is still its own and its group's.
            if wholeTree { ProcessTree.signalDescendantsOutsideGroup(of: pid, SIGKILL) }
            _ = cmp_pidfd_send_signal(pidFD, signal)
            if wholeTree { _ = kill(-pid, signal) }
            return
        }
        if wholeTree { ProcessTree.signalDescendantsOutsideGroup(of: pid, SIGKILL) }
        _ = kill(pid, signal)
        if wholeTree { _ = kill(-pid, signal) }
    }

    /// Reaps the child if it has exited: its status, or nil while it runs. ECHILD means the
    /// child is gone and its status with it (reaped elsewhere, or SIGCHLD ignored): that is an
    /// exit of unknown status, never a reason to keep waiting.
    static func reap(pid: pid_t, pidFD: Int32) -> ProcessExitStatus? {
        var status: Int32 = 0
        switch cmp_reap_child(pidFD, pid, &status) {
        case 1: return ProcessExitStatus(waitStatus: status)
        case 0: return nil
        default: return .unknown
        }
    }
}
