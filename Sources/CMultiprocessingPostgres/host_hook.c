// Host mode starts before main, as worker mode does: an executable started with
// MULTIPROCESSING_POSTGRES_WORKER set serves that queue and exits; its main never runs.
#include <stdlib.h>
#include <unistd.h>
#include "CMultiprocessingPostgres.h"

// Defined in Swift (@_cdecl); weak so that a program linking only this target still links.
extern void swift_multiprocessing_postgres_host_main(void) __attribute__((weak));

__attribute__((constructor)) static void cmp_enter_postgres_host_mode(void) {
    if (getenv(CMP_POSTGRES_HOST_ENV) == NULL) return;
    // A host's own local workers are entered by the core's constructor instead.
    if (getenv("SWIFT_MULTIPROCESSING_WORKER") != NULL) return;
    if (swift_multiprocessing_postgres_host_main) swift_multiprocessing_postgres_host_main();
    _exit(127);
}
