// Worker mode starts before main: a worker is this executable started again with a marker in
// its environment, and this constructor hands it to the library's worker loop, which never
// returns. No user code (not even main) runs in a worker.
#include <stdlib.h>
#include <unistd.h>
#include "CMultiprocessing.h"

// Defined in Swift (@_cdecl); weak so that a program linking only this target still links.
extern void swift_multiprocessing_worker_main(void) __attribute__((weak));

__attribute__((constructor)) static void cmp_enter_worker_mode(void) {
    if (getenv(CMP_WORKER_ENV) == NULL) return;
    if (swift_multiprocessing_worker_main) swift_multiprocessing_worker_main();
    _exit(127);
}
