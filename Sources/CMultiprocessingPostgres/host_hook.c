// Host mode starts before main, as worker mode does: an executable started with
// MULTIPROCESSING_POSTGRES_WORKER set serves that queue and exits; its main never runs.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "CMultiprocessingPostgres.h"
#include "CMultiprocessing.h"

// Defined in Swift (@_cdecl); weak so that a program linking only this target still links.
extern void swift_multiprocessing_postgres_host_main(void) __attribute__((weak));

static void cmp_postgres_fail(const char *what) {
    dprintf(2, "swift-multiprocessing: %s: %s\n", what, strerror(errno));
    _exit(2);
}

// /proc/<pid>/environ shows a process's initial environment to every process of its user, and
// unsetenv does not change it. So a URL given in the environment (its password with it) is
// moved into an anonymous memory file, and the executable starts again without it; the new
// image reads the URL from the descriptor and closes it before any worker exists.
static void cmp_restart_without_url_in_environment(const char *url, char **argv) {
    int fd = memfd_create("multiprocessing-postgres-url", 0);  // no CLOEXEC: the new image reads it
    if (fd < 0) cmp_postgres_fail("cannot move the database URL out of the environment (memfd_create)");
    size_t length = strlen(url), written = 0;
    while (written < length) {
        ssize_t count = write(fd, url + written, length - written);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) cmp_postgres_fail("cannot move the database URL out of the environment (write)");
        written += (size_t)count;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) cmp_postgres_fail("cannot move the database URL out of the environment (lseek)");
    char number[16];
    snprintf(number, sizeof number, "%d", fd);
    if (setenv(CMP_POSTGRES_URL_FD_ENV, number, 1) != 0 || unsetenv(CMP_POSTGRES_URL_ENV) != 0) {
        cmp_postgres_fail("cannot move the database URL out of the environment (setenv)");
    }
    execv("/proc/self/exe", argv);
    cmp_postgres_fail("cannot restart the worker host without the database URL in its environment (execv)");
}

// glibc passes the program's arguments to constructors.
__attribute__((constructor)) static void cmp_enter_postgres_host_mode(int argc, char **argv, char **envp) {
    if (getenv(CMP_POSTGRES_HOST_ENV) == NULL) return;
    // A host's own local workers are entered by the core's constructor instead.
    if (getenv(CMP_WORKER_ENV) != NULL) return;
    if (!swift_multiprocessing_postgres_host_main) _exit(127);
    const char *url = getenv(CMP_POSTGRES_URL_ENV);
    if (url != NULL) cmp_restart_without_url_in_environment(url, argv);
    cmp_run_constructors_after(cmp_enter_postgres_host_mode, argc, argv, envp);
    swift_multiprocessing_postgres_host_main();
    _exit(127);
}
