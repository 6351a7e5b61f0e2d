"""cpu-scaling: the primes in 16 ranges of 200,000 numbers on Pool(1) and Pool(n); wall times."""
import collections
import os
import time

import mpbench_common as common


def count_primes_in(bounds):
    """The count, and which worker counted (to see how the ranges were spread)."""
    return count_primes(bounds), os.getpid()


def count_primes(bounds):
    """Trial division by 2 and the odd numbers up to the square root: our side's algorithm."""
    lower, upper = bounds
    count = 0
    for number in range(max(lower, 2), upper):
        if number < 4:
            count += 1
            continue
        if number % 2 == 0:
            continue
        divisor = 3
        prime = True
        while divisor * divisor <= number:
            if number % divisor == 0:
                prime = False
                break
            divisor += 2
        if prime:
            count += 1
    return count


def on_pool(context, workers, ranges):
    with context.Pool(workers) as pool:
        common.warm_up(pool, workers)
        cpu_before = time.process_time()
        start = time.perf_counter()
        counts = pool.map(count_primes_in, ranges, chunksize=1)
        seconds = time.perf_counter() - start
        parent_cpu = time.process_time() - cpu_before
        busiest = max(collections.Counter(pid for _, pid in counts).values())
        return seconds, [count for count, _ in counts], busiest, parent_cpu


def main():
    args = common.parse_args()
    count, width = (8, 20_000) if args.quick else (16, 200_000)
    ranges = [(i * width, (i + 1) * width) for i in range(count)]
    workers = common.cpus()
    all_seconds, all_counts, busiest, all_parent_cpu = on_pool(common.context(args), workers, ranges)
    one_seconds, one_counts, _, one_parent_cpu = on_pool(common.context(args), 1, ranges)
    # Range by range, the two pools agree, and the total is the sieve's (our side's
    # CPUScaling.expectedPrimes): a range skipped or miscounted fails.
    expected = 14_683 if args.quick else 230_209
    if all_counts != one_counts or sum(all_counts) != expected:
        raise AssertionError(f"prime counts {all_counts} and {one_counts}, not {expected} in all")
    all_total = sum(all_counts)
    common.emit(one_worker_s=one_seconds, all_workers_s=all_seconds, speedup=one_seconds / all_seconds,
                workers=workers, primes=all_total, busiest_worker_ranges=busiest, ranges=len(ranges),
                parent_cpu_s_all_workers=all_parent_cpu, parent_cpu_s_one_worker=one_parent_cpu)


if __name__ == "__main__":
    main()
