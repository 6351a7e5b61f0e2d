// A program's constructors, run to the end from inside one of them.
//
// Worker mode (and the PostgreSQL host mode) is entered from a constructor and never returns,
// so constructors that come after it in the executable's .init_array would never run. In a
// dynamically linked program that is harmless: the Swift runtime, libdispatch and Foundation
// are shared libraries, initialized before the executable. Linked with --static-swift-stdlib,
// their initializers (the runtime's metadata tables, the concurrency runtime, libdispatch) sit
// in the executable's own array, after ours: a worker entered before them never runs a task.
#include "CMultiprocessing.h"

// Defined by the linker for the module being linked (here: the executable).
extern void (*__init_array_start[])(int, char **, char **) __attribute__((weak, visibility("hidden")));
extern void (*__init_array_end[])(int, char **, char **) __attribute__((weak, visibility("hidden")));

void cmp_run_constructors_after(cmp_constructor self, int argc, char **argv, char **envp) {
    if (__init_array_start == 0 || __init_array_end == 0) return;
    size_t count = (size_t)(__init_array_end - __init_array_start);
    size_t index = 0;
    while (index < count && __init_array_start[index] != self) index++;
    // Not found (the hook sits in another module's array): that module's loader runs the rest.
    for (index++; index < count; index++) {
        void (*entry)(int, char **, char **) = __init_array_start[index];
        // The linker may leave 0 and -1 as padding.
        if (entry == 0 || entry == (void (*)(int, char **, char **))-1) continue;
        entry(argc, argv, envp);
    }
}
