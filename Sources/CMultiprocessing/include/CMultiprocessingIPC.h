#ifndef CMULTIPROCESSING_IPC_H
#define CMULTIPROCESSING_IPC_H
// C helpers for inter-process primitives (shared memory, futexes, robust mutexes).
#endif
