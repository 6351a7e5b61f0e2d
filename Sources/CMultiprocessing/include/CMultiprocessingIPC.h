#ifndef CMULTIPROCESSING_IPC_H
#define CMULTIPROCESSING_IPC_H
// C helpers for inter-process primitives (shared memory, futexes, process liveness).
//
// Every word two processes share is touched only through these atomics: Swift has no atomic
// type that may live in memory it did not allocate.

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

// MARK: Shared memory

/// An anonymous memfd of `size` bytes (close-on-exec; nothing appears in /dev/shm).
/// Returns the descriptor or -errno.
int cmp_ipc_memfd(const char *name, uint64_t size);
/// Opens another process's descriptor through /proc/<pid>/fd/<fd>, read-write and
/// close-on-exec. Returns the descriptor or -errno.
int cmp_ipc_open_process_fd(pid_t pid, int fd);
/// The inode and size of an open descriptor; returns 0 or -errno.
int cmp_ipc_fd_identity(int fd, uint64_t *inode, uint64_t *size);
/// Maps `size` bytes of `fd` shared and read-write; NULL with errno set on failure.
void *cmp_ipc_map(int fd, uint64_t size);
void cmp_ipc_unmap(void *address, uint64_t size);
/// 64 random bits from the kernel (getrandom), never 0.
uint64_t cmp_ipc_random64(void);

// MARK: Processes

/// Whether `pid` is a running process: 1 (and its start time, in clock ticks since boot, in
/// `start_time`), 0 when it does not exist or is a zombie, -1 when /proc cannot tell.
int cmp_ipc_probe_process(pid_t pid, uint64_t *start_time);

/// Names the calling thread (visible in ps, top and debuggers).
void cmp_ipc_name_this_thread(const char *name);

/// sched_yield(): lets another runnable thread have this CPU.
void cmp_ipc_yield(void);

/// CLOCK_MONOTONIC_COARSE in nanoseconds: a few nanoseconds to read, a few milliseconds
/// coarse; for rate limits, not for deadlines.
static inline uint64_t cmp_ipc_coarse_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// MARK: Futexes (shared: the words live in MAP_SHARED memory, so no FUTEX_PRIVATE_FLAG)

/// Wakes up to `count` waiters on `word`; returns how many were woken or -errno.
int cmp_ipc_futex_wake(uint32_t *word, int count);
/// The same for a word private to this process.
int cmp_ipc_futex_wake_private(uint32_t *word, int count);
/// Sleeps while `*word == expected`, until woken or CLOCK_MONOTONIC reaches `deadline_ns`
/// (UINT64_MAX: no deadline). Private word. Returns 0 or -errno.
int cmp_ipc_futex_wait_private(uint32_t *word, uint32_t expected, uint64_t deadline_ns);
/// Sleeps on several words at once (futex_waitv, Linux 5.16): until one of them is woken,
/// one no longer holds its expected value, or CLOCK_MONOTONIC reaches `deadline_ns`
/// (UINT64_MAX: none). `private_flags[i]` marks words private to this process. At most 128
/// words. Returns the index of the woken word, or -errno (-EAGAIN: a value already differed,
/// -ETIMEDOUT, -EINTR, -ENOSYS on kernels without futex_waitv).
int cmp_ipc_futex_waitv(uint32_t *const *words, const uint32_t *expected,
                        const uint8_t *private_flags, int count, uint64_t deadline_ns);

// MARK: Atomics (sequentially consistent unless the name says otherwise)

static inline void cmp_ipc_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#define CMP_IPC_ATOMICS(bits)                                                                   \
    static inline uint##bits##_t cmp_ipc_load##bits(const void *p) {                            \
        return __atomic_load_n((const uint##bits##_t *)p, __ATOMIC_SEQ_CST);                    \
    }                                                                                           \
    static inline void cmp_ipc_store##bits(void *p, uint##bits##_t v) {                         \
        __atomic_store_n((uint##bits##_t *)p, v, __ATOMIC_SEQ_CST);                             \
    }                                                                                           \
    static inline uint##bits##_t cmp_ipc_exchange##bits(void *p, uint##bits##_t v) {            \
        return __atomic_exchange_n((uint##bits##_t *)p, v, __ATOMIC_SEQ_CST);                   \
    }                                                                                           \
    static inline uint##bits##_t cmp_ipc_fetch_add##bits(void *p, uint##bits##_t v) {           \
        return __atomic_fetch_add((uint##bits##_t *)p, v, __ATOMIC_SEQ_CST);                    \
    }                                                                                           \
    static inline uint##bits##_t cmp_ipc_fetch_sub##bits(void *p, uint##bits##_t v) {           \
        return __atomic_fetch_sub((uint##bits##_t *)p, v, __ATOMIC_SEQ_CST);                    \
    }                                                                                           \
    /* Stores `desired` if `*p == *expected`; otherwise writes the current value to           \
       `*expected`. Returns whether it stored. */                                               \
    static inline bool cmp_ipc_compare_exchange##bits(void *p, uint##bits##_t *expected,        \
                                                      uint##bits##_t desired) {                 \
        return __atomic_compare_exchange_n((uint##bits##_t *)p, expected, desired, false,       \
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                 \
    }

CMP_IPC_ATOMICS(8)
CMP_IPC_ATOMICS(16)
CMP_IPC_ATOMICS(32)
CMP_IPC_ATOMICS(64)
#undef CMP_IPC_ATOMICS

/// Acquire/release access for the indices of single-producer single-consumer rings, where
/// the full fence of a sequentially consistent store would only cost time.
static inline uint64_t cmp_ipc_load_acquire64(const void *p) {
    return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
}
static inline void cmp_ipc_store_release64(void *p, uint64_t v) {
    __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELEASE);
}
static inline void cmp_ipc_fence(void) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#endif
