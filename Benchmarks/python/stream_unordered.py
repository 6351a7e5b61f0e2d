"""stream-unordered: imap_unordered(square, range(20000), chunksize=1), all CPUs; items/s."""
import time

import mpbench_common as common
import mpbench_peers as peers


def main():
    args = common.parse_args()
    count = 2_000 if args.quick else 20_000
    workers = common.cpus()
    with peers.Peer(args, workers) as pool:
        meter = common.CPUMeter(pool.warm_up())
        cpu_before = time.process_time()
        start = time.perf_counter()
        squares = []
        for square in pool.imap_unordered(common.square, range(count)):
            squares.append(square)
        seconds = time.perf_counter() - start
        parent_cpu = time.process_time() - cpu_before
        cpu = meter.metrics()
    # Every input's square exactly once, in any order, as our side checks.
    if sorted(squares) != [i * i for i in range(count)]:
        raise AssertionError("the squares came back wrong")
    common.emit(items_per_s=count / seconds, seconds=seconds, items=count, workers=workers,
                parent_cpu_s=parent_cpu, **cpu)


if __name__ == "__main__":
    main()
