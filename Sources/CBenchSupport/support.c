#define _GNU_SOURCE
#include "CBenchSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int64_t cbs_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

int cbs_spawn_capturing_stdout(char *const argv[], int quiet, pid_t *pid_out, int *stdout_fd) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return errno;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int error = posix_spawn_file_actions_init(&actions);
    if (error != 0) goto close_pipe;
    error = posix_spawnattr_init(&attributes);
    if (error != 0) goto destroy_actions;
    // A clean signal state: this process may block or ignore signals the child should not.
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setsigmask(&attributes, &empty);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    if (quiet) posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    error = posix_spawnp(&pid, argv[0], &actions, &attributes, argv, environ);
    posix_spawnattr_destroy(&attributes);
destroy_actions:
    posix_spawn_file_actions_destroy(&actions);
close_pipe:
    close(fds[1]);
    if (error != 0) {
        close(fds[0]);
        return error;
    }
    *pid_out = pid;
    *stdout_fd = fds[0];
    return 0;
}

int cbs_wait(pid_t pid, int nohang, int *exit_code, int *signal_number) {
    int status = 0;
    pid_t reaped;
    do {
        reaped = waitpid(pid, &status, nohang ? WNOHANG : 0);
    } while (reaped < 0 && errno == EINTR);
    if (reaped < 0) return -1;
    if (reaped == 0) return 0;
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    *signal_number = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
    return 1;
}

static int transfer(int fd, char *buffer, int length, int writing) {
    int done = 0;
    while (done < length) {
        ssize_t n = writing ? send(fd, buffer + done, (size_t)(length - done), MSG_NOSIGNAL)
                            : recv(fd, buffer + done, (size_t)(length - done), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n == 0 ? EPIPE : errno;
        done += (int)n;
    }
    return 0;
}

int cbs_socketpair_pingpong(int warmup, int rounds, int message_bytes, int64_t *durations_ns) {
    char buffer[4096];
    if (message_bytes < 1 || message_bytes > (int)sizeof buffer) return EINVAL;
    memset(buffer, 0x5A, sizeof buffer);
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return errno;
    pid_t child = fork();
    if (child < 0) {
        int error = errno;
        close(fds[0]);
        close(fds[1]);
        return error;
    }
    if (child == 0) {
        // The echoing side: only async-signal-safe calls, since the parent has threads.
        close(fds[0]);
        for (;;) {
            if (transfer(fds[1], buffer, message_bytes, 0) != 0) _exit(0);
            if (transfer(fds[1], buffer, message_bytes, 1) != 0) _exit(1);
        }
    }
    close(fds[1]);
    int error = 0;
    for (int i = 0; i < warmup + rounds && error == 0; i++) {
        int64_t start = cbs_monotonic_ns();
        error = transfer(fds[0], buffer, message_bytes, 1);
        if (error == 0) error = transfer(fds[0], buffer, message_bytes, 0);
        if (i >= warmup) durations_ns[i - warmup] = cbs_monotonic_ns() - start;
    }
    close(fds[0]);  // the child reads end-of-file and exits
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    return error;
}
