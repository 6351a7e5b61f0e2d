"""What the Python peers of mp-bench share.

Each peer is one script per scenario, run by `mp-bench` once per run in a fresh interpreter:
it sets its start method explicitly, measures once, and prints one JSON line of named
measurements (the same names as our side's), which is all the Swift runner reads.
"""
import argparse
import ctypes
import json
import math
import multiprocessing
import os
import time


def parse_args(start_methods="fork"):
    """--quick, and --start-method: the runner passes the start methods the scenario states
    (Scenario.peerStartMethods), so that what the report says is what ran."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="the small sizes of mp-bench --quick")
    parser.add_argument("--start-method", default=start_methods,
                        help="multiprocessing start method(s), comma-separated (default: %(default)s)")
    parser.add_argument("--library", default="multiprocessing",
                        help="the pool library (mpbench_peers.LIBRARIES; map, stream and apply only)")
    args = parser.parse_args()
    args.start_methods = args.start_method.split(",")
    return args


def context(args):
    """The multiprocessing context of the one start method this script was given."""
    if len(args.start_methods) != 1:
        raise SystemExit(f"this scenario takes one start method, not {args.start_method}")
    return multiprocessing.get_context(args.start_methods[0])


def cpus():
    """The CPUs this process may use: what ProcessPool.availableCPUs counts."""
    return len(os.sched_getaffinity(0))


def emit(**metrics):
    print(json.dumps(metrics), flush=True)


_libc = ctypes.CDLL(None, use_errno=True)


def cpu_seconds_of(pid):
    """The CPU time (user + system, every thread, the dead ones too) a process has used so far,
    from its process CPU clock (clock_getcpuclockid), as our side reads it; None once it is gone."""
    clock = ctypes.c_int()
    if _libc.clock_getcpuclockid(pid, ctypes.byref(clock)) != 0:
        return None
    try:
        return time.clock_gettime(clock.value)
    except OSError:
        return None


class CPUMeter:
    """The CPU clocks of this process and of some workers, read at the start of a timed part;
    metrics() at its end gives what each spent in between (our side's CPUMeter)."""

    def __init__(self, workers):
        self.workers = list(workers)
        self.workers_start = [cpu_seconds_of(pid) for pid in self.workers]
        self.parent_start = time.process_time()

    def metrics(self):
        parent = time.process_time() - self.parent_start
        total = 0.0
        for pid, start in zip(self.workers, self.workers_start):
            end = cpu_seconds_of(pid)
            if start is None or end is None:
                raise RuntimeError(f"cannot read the CPU clock of worker {pid}")
            total += end - start
        return {"cpu_parent_s": parent, "cpu_workers_s": total, "cpu_s": parent + total}


def square(x):
    return x * x


def whoami(_):
    time.sleep(0.02)
    return os.getpid()


def warm_up(pool, workers):
    """Runs whoami until every worker has answered; returns their process ids."""
    seen = set()
    for _ in range(100):
        seen.update(pool.map(whoami, range(2 * workers), chunksize=1))
        if len(seen) >= workers:
            return sorted(seen)
    raise RuntimeError(f"only {len(seen)} of {workers} workers ran a task while warming up")


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values, fraction):
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def process_memory_kib(pid):
    """USS (Private_Clean + Private_Dirty), PSS and RSS of a process, in KiB."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":"):
                try:
                    fields[parts[0][:-1]] = float(parts[1])
                except ValueError:
                    pass
    return fields["Private_Clean"] + fields["Private_Dirty"], fields["Pss"], fields["Rss"]


def thread_files(pids, name):
    """The text of /proc/PID/task/TID/<name> for every thread of these processes now."""
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/{name}") as handle:
                    yield handle.read()
            except FileNotFoundError:
                pass


def run_queue_wait_seconds(pids):
    """Seconds the threads of these processes have spent runnable but waiting for a CPU so far
    (the second field of /proc/PID/task/TID/schedstat), as our side reads it."""
    total = 0
    for schedstat in thread_files(pids, "schedstat"):
        try:
            total += int(schedstat.split()[1])
        except (IndexError, ValueError):
            pass
    return total / 1e9


def context_switches(pids):
    """Context switches (voluntary and not) of every thread of these processes so far."""
    total = 0
    for status in thread_files(pids, "status"):
        for line in status.splitlines():
            if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                total += int(line.split(":")[1])
    return total
