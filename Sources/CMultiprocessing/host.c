// What the library needs to live in a program it does not own: children reaped and signalled
// through their pidfds (whatever the program does with SIGCHLD or waitpid), and signal handlers
// that put back exactly what was there before and compose when several are active at once.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "CMultiprocessing.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int cmp_pidfd_send_signal(int pidfd, int signal) {
#ifdef SYS_pidfd_send_signal
    return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

// waitid on the child, by pidfd when there is one (a kernel before 5.4 lacks P_PIDFD: by pid).
static int cmp_wait_child(int pidfd, pid_t pid, siginfo_t *info, int options) {
    int result;
    memset(info, 0, sizeof *info);
    do {
        result = pidfd >= 0 ? waitid((idtype_t)P_PIDFD, (id_t)pidfd, info, options) : -1;
        if (pidfd < 0 || (result < 0 && errno == EINVAL)) result = waitid(P_PID, (id_t)pid, info, options);
    } while (result < 0 && errno == EINTR);
    return result;
}

int cmp_reap_child(int pidfd, pid_t pid, int *status_out) {
    siginfo_t info;
    // Look first, reap after: while the child is a zombie its pid, which is also its process
    // group's id, cannot be anyone else's, so the group can be killed without a doubt.
    if (cmp_wait_child(pidfd, pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
        int code = errno;
        // Reaped by someone else: the group id stays reserved (so still the group's) while any
        // member lives. With none left it finds nobody, unless in the moment since the reaping
        // the kernel, which hands out pids in increasing order, wrapped around pid_max and gave
        // this one to a new group leader.
        if (code == ECHILD) kill(-pid, SIGKILL);
        errno = code;
        return -1;
    }
    if (info.si_pid == 0) return 0;
    kill(-pid, SIGKILL);
    if (cmp_wait_child(pidfd, pid, &info, WEXITED | WNOHANG) < 0) return -1;
    if (info.si_pid == 0) return 0;
    // Back to a wait status, the form the rest of the library decodes.
    switch (info.si_code) {
    case CLD_EXITED:
        *status_out = (info.si_status & 0xFF) << 8;
        break;
    case CLD_DUMPED:
        *status_out = (info.si_status & 0x7F) | 0x80;
        break;
    default:
        *status_out = info.si_status & 0x7F;
        break;
    }
    return 1;
}

// MARK: Signal watching

#define CMP_SIGNALS 65
#define CMP_WATCHERS 32

// Descriptors (plus one: 0 is a free slot) that the handler writes each signal's number to.
static int cmp_watch_fds[CMP_SIGNALS][CMP_WATCHERS];
static int cmp_watch_counts[CMP_SIGNALS];
// What the signal did before the first watcher came; put back when the last one goes.
static struct sigaction cmp_saved_actions[CMP_SIGNALS];
// Handlers running now: a watcher's descriptor is closed only once none can still write to it.
static int cmp_handlers_running;
static pthread_mutex_t cmp_watch_lock = PTHREAD_MUTEX_INITIALIZER;

static void cmp_watch_handler(int signal, siginfo_t *info, void *context) {
    __atomic_add_fetch(&cmp_handlers_running, 1, __ATOMIC_SEQ_CST);
    int saved = errno;
    if (signal > 0 && signal < CMP_SIGNALS) {
        unsigned char byte = (unsigned char)signal;
        for (int i = 0; i < CMP_WATCHERS; i++) {
            int fd = __atomic_load_n(&cmp_watch_fds[signal][i], __ATOMIC_SEQ_CST) - 1;
            if (fd >= 0) (void)!write(fd, &byte, 1);
        }
        // A handler the program had installed still runs: the library only adds its own.
        struct sigaction *previous = &cmp_saved_actions[signal];
        if (previous->sa_flags & SA_SIGINFO) {
            if (previous->sa_sigaction) previous->sa_sigaction(signal, info, context);
        } else if (previous->sa_handler != SIG_DFL && previous->sa_handler != SIG_IGN && previous->sa_handler) {
            previous->sa_handler(signal);
        }
    }
    errno = saved;
    __atomic_sub_fetch(&cmp_handlers_running, 1, __ATOMIC_SEQ_CST);
}

int cmp_watch_signal(int signal, int notify_fd) {
    if (signal <= 0 || signal >= CMP_SIGNALS || notify_fd < 0) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&cmp_watch_lock);
    int slot = -1;
    for (int i = 0; i < CMP_WATCHERS && slot < 0; i++) {
        if (cmp_watch_fds[signal][i] == 0) slot = i;
    }
    int result = 0;
    if (slot < 0) {
        errno = ENOSPC;
        result = -1;
    } else {
        __atomic_store_n(&cmp_watch_fds[signal][slot], notify_fd + 1, __ATOMIC_SEQ_CST);
        if (cmp_watch_counts[signal]++ == 0) {
            struct sigaction action;
            memset(&action, 0, sizeof action);
            action.sa_sigaction = cmp_watch_handler;
            sigemptyset(&action.sa_mask);
            action.sa_flags = SA_SIGINFO | SA_RESTART;
            if (sigaction(signal, &action, &cmp_saved_actions[signal]) != 0) {
                int code = errno;
                cmp_watch_counts[signal] = 0;
                __atomic_store_n(&cmp_watch_fds[signal][slot], 0, __ATOMIC_SEQ_CST);
                errno = code;
                result = -1;
            }
        }
    }
    pthread_mutex_unlock(&cmp_watch_lock);
    return result;
}

int cmp_unwatch_signal(int signal, int notify_fd) {
    if (signal <= 0 || signal >= CMP_SIGNALS) return -1;
    pthread_mutex_lock(&cmp_watch_lock);
    int found = 0;
    for (int i = 0; i < CMP_WATCHERS; i++) {
        if (cmp_watch_fds[signal][i] == notify_fd + 1) {
            __atomic_store_n(&cmp_watch_fds[signal][i], 0, __ATOMIC_SEQ_CST);
            found = 1;
            break;
        }
    }
    if (found && --cmp_watch_counts[signal] == 0) {
        // Put back what was there, unless someone replaced the library's handler meanwhile:
        // theirs is newer than what the library saved, and stays.
        struct sigaction current;
        if (sigaction(signal, NULL, &current) == 0 && (current.sa_flags & SA_SIGINFO) &&
            current.sa_sigaction == cmp_watch_handler) {
            sigaction(signal, &cmp_saved_actions[signal], NULL);
        }
    }
    pthread_mutex_unlock(&cmp_watch_lock);
    // A handler that loaded the descriptor before it was cleared may still be writing to it.
    while (__atomic_load_n(&cmp_handlers_running, __ATOMIC_SEQ_CST) > 0) sched_yield();
    return found ? 0 : -1;
}
