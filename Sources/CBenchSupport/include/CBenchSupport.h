#ifndef CBENCHSUPPORT_H
#define CBENCHSUPPORT_H

// What the benchmark tool needs that Swift cannot call cleanly: starting a measuring child
// with its stdout captured, decoding a wait status, and the kernel's floor for a blocking
// round trip between two processes.

#include <stdint.h>
#include <sys/types.h>

/// Starts `argv[0]` (searched on PATH when it has no slash) with stdin from /dev/null,
/// stdout into a new pipe whose reading end (close-on-exec) is stored in `*stdout_fd`, and
/// stderr shared with this process (or /dev/null when `quiet`). Returns 0 or an errno value.
int cbs_spawn_capturing_stdout(char *const argv[], int quiet, pid_t *pid_out, int *stdout_fd);

/// waitpid(pid) without WNOHANG unless `nohang`: returns 1 when reaped (and fills the exit
/// code or the signal, the other being -1), 0 when still running (nohang), -1 on error.
int cbs_wait(pid_t pid, int nohang, int *exit_code, int *signal_number);

/// A plain blocking ping-pong over a socketpair(AF_UNIX, SOCK_STREAM) between this process and
/// a forked child that runs only read/write/_exit (never Swift): `warmup` round trips, then
/// `rounds` timed ones, each a `message_bytes` write and a `message_bytes` read on each side.
/// Each timed round trip's duration (CLOCK_MONOTONIC, ns) goes into `durations_ns[i]`.
/// Returns 0 or an errno value.
int cbs_socketpair_pingpong(int warmup, int rounds, int message_bytes, int64_t *durations_ns);

/// CLOCK_MONOTONIC in nanoseconds.
int64_t cbs_monotonic_ns(void);

#endif
