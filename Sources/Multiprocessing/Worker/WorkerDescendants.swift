import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Keeps the processes a worker's jobs start within the worker's reach, and takes them with it
/// when it ends by itself.
///
/// The worker is a child subreaper: a process whose parent exits before it (a daemon's double
/// fork, a shell that started something in the background and returned) is re-parented to the
/// worker instead of the system's init, so every process the jobs started stays linked to the
/// worker through its parents, and ``ProcessTree`` finds it when the library stops the worker.
/// Orphans that exit stay zombies of the worker until it exits (a job's own `waitpid` would
/// otherwise lose their statuses to a reaper of the library's).
///
/// When the worker exits by itself (its loop ends, or a job calls `exit`), the descendants that
/// left its process group are killed here: once the worker is gone their parent links lead to
/// init and nobody could find them. The group itself the parent kills when it hears of the exit.
/// A worker that dies of a signal, or by `_exit` in a job, cannot do this: their setsid'd
/// descendants outlive it.
enum WorkerDescendants {
    static func adoptOrphans() {
        _ = cmp_become_child_subreaper()
        atexit { WorkerDescendants.killStrays() }
    }

    /// Kills the descendants outside the worker's process group; nothing to do (no /proc walk)
    /// when the worker has no child at all, which is the common case.
    static func killStrays() {
        guard cmp_has_children() == 1 else { return }
        ProcessTree.signalDescendantsOutsideGroup(of: getpid(), SIGKILL)
    }
}
