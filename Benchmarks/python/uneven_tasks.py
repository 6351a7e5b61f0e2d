"""uneven-tasks: Pool.map over 100,000 tasks of 1-10 ms each (a xorshift chain whose length is
calibrated on this interpreter's speed), default chunking, all CPUs; tasks/s."""
import time

import mpbench_common as common

MASK = 0xFFFF_FFFF_FFFF_FFFF


def tasks(quick):
    """Our side's UnevenTasks.tasks: the same numbers on both sides."""
    return 400 if quick else 100_000


def milliseconds(index):
    """Task `index`'s length in ms, 1 to 10 (our side's formula)."""
    return 1 + (index * 2654435761) % 10


def run_chain(task):
    """xorshift64 from the seed (made non-zero), `steps` times: our side's runChain."""
    seed, steps = task
    state = ((seed * 0x9E3779B97F4A7C15) & MASK) | 1
    for _ in range(steps):
        state ^= (state << 13) & MASK
        state ^= state >> 7
        state ^= (state << 17) & MASK
    return state


def calibrate():
    """Chain steps per millisecond here: the best of five 20 ms samples."""
    best = 0.0
    for round_ in range(5):
        steps = 100
        while True:
            start = time.perf_counter()
            run_chain((round_, steps))
            seconds = time.perf_counter() - start
            if seconds >= 0.02:
                best = max(best, steps / (seconds * 1e3))
                break
            steps *= 2
    return max(1, int(best))


def main():
    args = common.parse_args()
    count = tasks(args.quick)
    per_ms = calibrate()
    inputs = [(i, milliseconds(i) * per_ms) for i in range(count)]
    total_ms = sum(milliseconds(i) for i in range(count))
    workers = common.cpus()
    with common.context(args).Pool(workers) as pool:
        meter = common.CPUMeter(common.warm_up(pool, workers))
        start = time.perf_counter()
        results = pool.map(run_chain, inputs)
        seconds = time.perf_counter() - start
        cpu = meter.metrics()
    # Every result came back; every 97th computed again (after the clock), as our side checks.
    if len(results) != count:
        raise AssertionError(f"{len(results)} results for {count} tasks")
    for index in range(0, count, 97):
        if results[index] != run_chain(inputs[index]):
            raise AssertionError(f"task {index}'s chain ended at {results[index]}")
    common.emit(tasks_per_s=count / seconds, seconds=seconds, tasks=count, total_ms=total_ms, workers=workers,
                steps_per_ms=per_ms, **cpu)


if __name__ == "__main__":
    main()
