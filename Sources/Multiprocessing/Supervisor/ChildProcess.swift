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
enum ChildProcess {
    /// Sends `signal` to the child. Without a pidfd, only call this while the child is known to
    /// be unreaped by the library (its pid is then still its own, unless the program reaps
    /// children itself).
    static func signal(pid: pid_t, pidFD: Int32, _ signal: Int32) {
        if pidFD >= 0 {
            if cmp_pidfd_send_signal(pidFD, signal) == 0 || errno != ENOSYS { return }
        }
        _ = kill(pid, signal)
    }

    /// Reaps the child if it has exited: its status, or nil while it runs. ECHILD means the
    /// child is gone and its status with it (reaped elsewhere, or SIGCHLD ignored): that is an
    /// exit of unknown status, never a reason to keep waiting.
    static func reap(pid: pid_t, pidFD: Int32) -> ProcessExitStatus? {
        var status: Int32 = 0
        if pidFD >= 0 {
            switch cmp_pidfd_reap(pidFD, &status) {
            case 1: return ProcessExitStatus(waitStatus: status)
            case 0: return nil
            default:
                if errno == ECHILD { return .unknown }
                // EINVAL: a kernel without waitid(P_PIDFD) (before 5.4); the pid is still ours.
            }
        }
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return ProcessExitStatus(waitStatus: status) }
            if reaped == 0 { return nil }
            if errno == EINTR { continue }
            return .unknown
        }
    }
}
