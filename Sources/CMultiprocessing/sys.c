#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>
#include "CMultiprocessing.h"

const uint32_t CMP_EPOLLIN = EPOLLIN;
const uint32_t CMP_EPOLLOUT = EPOLLOUT;
const uint32_t CMP_EPOLLERR = EPOLLERR;
const uint32_t CMP_EPOLLHUP = EPOLLHUP;
const uint32_t CMP_EPOLLRDHUP = EPOLLRDHUP;

int cmp_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0);
}

int cmp_become_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int cmp_has_children(void) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    // WNOWAIT: only looks; a job's own waitpid still gets its children's statuses.
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0) return 1;
    return errno == ECHILD ? 0 : 1;
}

int cmp_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    return -1;
#endif
}

int cmp_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

void cmp_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}

void cmp_flush_stdout(void) {
    fflush(stdout);
}

int cmp_memfd_create(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}

int cmp_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

int cmp_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int cmp_epoll_add(int epfd, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev = {.events = events, .data.u64 = token};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int cmp_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev = {.events = events, .data.u64 = token};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

int cmp_epoll_remove(int epfd, int fd) {
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

int cmp_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms) {
    struct epoll_event buffer[64];
    if (capacity > 64) capacity = 64;
    int n = epoll_wait(epfd, buffer, capacity, timeout_ms);
    for (int i = 0; i < n; i++) {
        tokens[i] = buffer[i].data.u64;
        events[i] = buffer[i].events;
    }
    return n;
}

const char *cmp_signal_name(int signal) {
    return sigabbrev_np(signal);
}

// libdispatch's hooks for CoreFoundation's run loop, the same ones Foundation's RunLoop uses:
// the main queue signals an eventfd when it has work, and the callback drains it.
extern int _dispatch_get_main_queue_handle_4CF(void);
extern void _dispatch_main_queue_callback_4CF(void *msg);

void cmp_serve_main_queue_forever(void) {
    int handle = _dispatch_get_main_queue_handle_4CF();
    for (;;) {
        struct pollfd entry = {.fd = handle, .events = POLLIN};
        if (poll(&entry, 1, -1) < 0) continue;
        uint64_t value;
        (void)!read(handle, &value, sizeof value);
        _dispatch_main_queue_callback_4CF(NULL);
    }
}

void cmp_tune_worker_malloc(void) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
}
