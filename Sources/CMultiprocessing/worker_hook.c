// Worker mode starts before main: a worker is this executable started again with a marker in
// its environment, and this constructor hands it to the library's worker loop, which never
// returns. No user code (not even main) runs in a worker; the program's constructors do (all of
// them, the ones after this one too: see constructors.c).
#include <stdlib.h>
#include <unistd.h>
#include "CMultiprocessing.h"

// Defined in Swift (@_cdecl); weak so that a program linking only this target still links.
extern void swift_multiprocessing_worker_main(void) __attribute__((weak));

__attribute__((constructor)) static void cmp_enter_worker_mode(int argc, char **argv, char **envp) {
    if (getenv(CMP_WORKER_ENV) == NULL) return;
    cmp_run_constructors_after(cmp_enter_worker_mode, argc, argv, envp);
    if (swift_multiprocessing_worker_main) swift_multiprocessing_worker_main();
    _exit(127);
}
