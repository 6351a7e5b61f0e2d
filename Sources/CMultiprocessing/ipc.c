// System calls behind the inter-process primitives: memfd regions, /proc attachment,
// futexes (futex_waitv included, which glibc does not wrap) and process liveness.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "CMultiprocessing.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449  // the same number on every architecture (the generic table)
#endif
#define CMP_FUTEX2_SIZE_U32 0x02
#define CMP_FUTEX2_PRIVATE 128

// The kernel's struct futex_waitv, spelled out so that old headers do not matter.
struct cmp_futex_waitv {
    uint64_t val;
    uint64_t uaddr;
    uint32_t flags;
    uint32_t reserved;
};

int cmp_ipc_memfd(const char *name, uint64_t size) {
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) return -errno;
    if (ftruncate(fd, (off_t)size) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int cmp_ipc_open_process_fd(pid_t pid, int fd) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
    int result = open(path, O_RDWR | O_CLOEXEC);
    return result >= 0 ? result : -errno;
}

int cmp_ipc_fd_identity(int fd, uint64_t *inode, uint64_t *size) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -errno;
    *inode = (uint64_t)st.st_ino;
    *size = (uint64_t)st.st_size;
    return 0;
}

void *cmp_ipc_map(int fd, uint64_t size) {
    void *address = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return address == MAP_FAILED ? NULL : address;
}

void cmp_ipc_unmap(void *address, uint64_t size) {
    munmap(address, (size_t)size);
}

uint64_t cmp_ipc_random64(void) {
    uint64_t value = 0;
    while (value == 0) {
        if (getrandom(&value, sizeof value, 0) != sizeof value) {
            // getrandom cannot fail for 8 bytes once the pool is ready; mix the clock as a
            // fallback rather than loop forever.
            value ^= cmp_monotonic_ns() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
        }
    }
    return value;
}

int cmp_ipc_probe_process(pid_t pid, uint64_t *start_time) {
    char path[64], buffer[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT || errno == ESRCH ? 0 : -1;
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) return n == 0 || errno == ESRCH ? 0 : -1;
    buffer[n] = 0;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    char *p = strrchr(buffer, ')');
    if (p == NULL || p[1] != ' ') return -1;
    p += 2;
    char state = *p;
    if (state == 'Z' || state == 'X' || state == 'x') return 0;
    // Field 3 is the state; the start time is field 22.
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (p == NULL) return -1;
        p++;
    }
    *start_time = strtoull(p, NULL, 10);
    return 1;
}

void cmp_ipc_yield(void) {
    sched_yield();
}

void cmp_ipc_name_this_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

static struct timespec cmp_ipc_timespec(uint64_t ns) {
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull)};
    return ts;
}

int cmp_ipc_futex_wake(uint32_t *word, int count) {
    long n = syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
    return n >= 0 ? (int)n : -errno;
}

int cmp_ipc_futex_wake_private(uint32_t *word, int count) {
    long n = syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, count, NULL, NULL, 0);
    return n >= 0 ? (int)n : -errno;
}

int cmp_ipc_futex_wait_private(uint32_t *word, uint32_t expected, uint64_t deadline_ns) {
    struct timespec ts = cmp_ipc_timespec(deadline_ns);
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline (FUTEX_WAIT a relative one).
    long n = syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected,
                     deadline_ns == UINT64_MAX ? NULL : &ts, NULL, FUTEX_BITSET_MATCH_ANY);
    return n == 0 ? 0 : -errno;
}

int cmp_ipc_futex_waitv(uint32_t *const *words, const uint32_t *expected,
                        const uint8_t *private_flags, int count, uint64_t deadline_ns) {
    struct cmp_futex_waitv waiters[128];
    if (count <= 0 || count > 128) return -EINVAL;
    for (int i = 0; i < count; i++) {
        waiters[i].val = expected[i];
        waiters[i].uaddr = (uint64_t)(uintptr_t)words[i];
        waiters[i].flags = CMP_FUTEX2_SIZE_U32 | (private_flags[i] ? CMP_FUTEX2_PRIVATE : 0);
        waiters[i].reserved = 0;
    }
    struct timespec ts = cmp_ipc_timespec(deadline_ns);
    long n = syscall(SYS_futex_waitv, waiters, (unsigned)count, 0,
                     deadline_ns == UINT64_MAX ? NULL : &ts, CLOCK_MONOTONIC);
    return n >= 0 ? (int)n : -errno;
}
