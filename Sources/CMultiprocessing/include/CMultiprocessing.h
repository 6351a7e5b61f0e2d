#ifndef CMULTIPROCESSING_H
#define CMULTIPROCESSING_H

#include <stdint.h>
#include <sys/types.h>

/// Environment variable whose presence turns a started executable into a worker before main.
#define CMP_WORKER_ENV "SWIFT_MULTIPROCESSING_WORKER"
/// The worker's end of its channel and its status page, at fixed descriptors in the child.
#define CMP_CHANNEL_FD 3
#define CMP_STATUS_FD 4

/// Spawns `path` with a clean signal state, stdin from /dev/null, `stderr_fd` as fd 2 (or the
/// parent's stderr when -1), `channel_fd` as fd 3, `status_fd` as fd 4, and every other
/// descriptor above 2 closed. The child gets a process group of its own so the terminal's
/// Ctrl-C reaches only the parent, which decides. Returns 0 or an errno value.
int cmp_spawn_worker(const char *path, char *const argv[], char *const envp[],
                     int channel_fd, int status_fd, int stderr_fd, pid_t *pid_out);

/// A constructor as glibc calls it.
typedef void (*cmp_constructor)(int argc, char **argv, char **envp);
/// Runs the constructors that follow `self` in the executable's .init_array, in order: called
/// by a constructor that enters a mode which never returns (worker, host), so that what comes
/// after it (with --static-swift-stdlib: the Swift runtime, the concurrency runtime,
/// libdispatch) is initialized first. Does nothing when `self` is not in that array.
void cmp_run_constructors_after(cmp_constructor self, int argc, char **argv, char **envp);

/// The number of CPUs this process may run on (sched_getaffinity), at least 1.
int cmp_available_cpus(void);

/// PR_SET_PDEATHSIG where it exists (Linux); returns 0 or -1.
int cmp_set_parent_death_signal(int signal);
/// Makes the calling process the one its orphaned descendants are re-parented to.
int cmp_become_child_subreaper(void);
/// 1 when the calling process has a child (running or not yet reaped), 0 when it has none.
int cmp_has_children(void);

int cmp_pidfd_open(pid_t pid);
/// pipe2(O_CLOEXEC).
int cmp_pipe_cloexec(int fds[2]);
/// stdout line-buffered, and flushed: what a job prints arrives whole and before its result.
void cmp_line_buffer_stdout(void);
void cmp_flush_stdout(void);

/// Sends `signal` to the process a pidfd names (never to a pid that may have been reused).
/// Returns 0 or -1 with errno (ESRCH: it has exited).
int cmp_pidfd_send_signal(int pidfd, int signal);
/// Reaps a child started in a process group of its own (waitid(P_PIDFD), or by pid when
/// `pidfd` is -1 or the kernel lacks P_PIDFD), without waiting: 1 with a wait status in
/// `status_out` when it was reaped now, 0 while it runs, -1 with errno otherwise (ECHILD: someone
/// else reaped it, or SIGCHLD is ignored and the kernel did). Once the child has exited, and
/// before it is reaped, what is left of its process group is killed with SIGKILL.
int cmp_reap_child(int pidfd, pid_t pid, int *status_out);

/// Watches `signal`: a handler writes the signal's number (one byte) to `notify_fd` and to the
/// descriptor of every other watcher of it, then calls the handler the program had installed,
/// if any. The first watcher of a signal installs the handler; the last one to go puts back the
/// action that was there before (unless the program replaced the handler meanwhile). A handler,
/// unlike SIG_IGN, is not inherited by programs the process starts: they keep the default
/// action. Returns 0 or -1 with errno.
int cmp_watch_signal(int signal, int notify_fd);
/// Stops watching; on return no handler writes to `notify_fd` any more. Returns 0 or -1.
int cmp_unwatch_signal(int signal, int notify_fd);

/// Keeps freed big buffers in the worker's heap (no mmap/munmap, and so no page faults, per
/// chunk): a worker allocates and frees the same large arrays task after task.
void cmp_tune_worker_malloc(void);

/// Serves the main dispatch queue (and so Swift's main actor) on the calling thread, forever.
/// `dispatchMain()` cannot be used by a worker: it calls pthread_exit, which unwinds through
/// the loader's frames that run constructors, and crashes.
void cmp_serve_main_queue_forever(void) __attribute__((noreturn));
int cmp_memfd_create(const char *name);
int cmp_eventfd(void);

/// epoll, with the event's data as a plain 64-bit token (struct epoll_event is packed on x86_64).
int cmp_epoll_create(void);
int cmp_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
int cmp_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token);
int cmp_epoll_remove(int epfd, int fd);
/// Waits up to `timeout_ms` (-1: forever) and fills `tokens`/`events`; returns the count or -1.
int cmp_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms);

extern const uint32_t CMP_EPOLLIN;
extern const uint32_t CMP_EPOLLOUT;
extern const uint32_t CMP_EPOLLERR;
extern const uint32_t CMP_EPOLLHUP;
extern const uint32_t CMP_EPOLLRDHUP;

/// The signal's name without "SIG" ("KILL", "SEGV"), or NULL when unknown.
const char *cmp_signal_name(int signal);

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC: one clock for all processes of a machine).
static inline uint64_t cmp_monotonic_ns(void);

/// Atomic access to words of memory shared between processes.
static inline uint64_t cmp_atomic_load_u64(const uint64_t *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline void cmp_atomic_store_u64(uint64_t *p, uint64_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline uint64_t cmp_atomic_fetch_add_u64(uint64_t *p, uint64_t v) {
    return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL);
}
static inline void cmp_atomic_fence(void) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#include <time.h>
static inline uint64_t cmp_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#include "CMultiprocessingIPC.h"

#endif
