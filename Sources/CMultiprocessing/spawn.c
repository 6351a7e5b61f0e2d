#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <unistd.h>
#include "CMultiprocessing.h"

// Moves a descriptor out of the way of the fixed numbers dup2 targets in the child.
static int cmp_lift(int fd) {
    if (fd < 0) return fd;
    return fcntl(fd, F_DUPFD_CLOEXEC, 16);
}

int cmp_spawn_worker(const char *path, char *const argv[], char *const envp[],
                     int channel_fd, int status_fd, int stderr_fd, pid_t *pid_out) {
    int channel = cmp_lift(channel_fd), status = cmp_lift(status_fd), err = cmp_lift(stderr_fd);
    int result = 0;
    if (channel < 0 || (status_fd >= 0 && status < 0) || (stderr_fd >= 0 && err < 0)) {
        result = errno;
        goto out;
    }

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);

    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (err >= 0) posix_spawn_file_actions_adddup2(&actions, err, 2);
    posix_spawn_file_actions_adddup2(&actions, channel, CMP_CHANNEL_FD);
    if (status >= 0) posix_spawn_file_actions_adddup2(&actions, status, CMP_STATUS_FD);
    posix_spawn_file_actions_addclosefrom_np(&actions, status >= 0 ? CMP_STATUS_FD + 1 : CMP_CHANNEL_FD + 1);

    // An exec'd child inherits the signal mask and ignored signals: start from defaults.
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_USEVFORK);

    result = posix_spawn(pid_out, path, &actions, &attr, argv, envp);

    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
out:
    if (channel >= 0) close(channel);
    if (status >= 0) close(status);
    if (err >= 0) close(err);
    return result;
}

int cmp_available_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
