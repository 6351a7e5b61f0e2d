"""map-tiny: Pool.map(square, 1,000,000 ints), default chunking, all CPUs; items/s."""
import time

import mpbench_common as common
import mpbench_peers as peers


def main():
    args = common.parse_args()
    count = 100_000 if args.quick else 1_000_000
    inputs = list(range(count))
    workers = common.cpus()
    # A plain serial loop first, in this process: what the pool must beat.
    start = time.perf_counter()
    serial = [common.square(x) for x in inputs]
    serial_seconds = time.perf_counter() - start
    if serial != [i * i for i in range(count)]:
        raise AssertionError("the serial squares came back wrong")
    with peers.Peer(args, workers) as pool:
        meter = common.CPUMeter(pool.warm_up())
        cpu_before = time.process_time()
        start = time.perf_counter()
        squares = pool.map(common.square, inputs)
        seconds = time.perf_counter() - start
        parent_cpu = time.process_time() - cpu_before
        cpu = meter.metrics()
    # Every result, in order (after the clock stops), as our side checks.
    if squares != [i * i for i in range(count)]:
        raise AssertionError("the squares came back wrong")
    common.emit(items_per_s=count / seconds, seconds=seconds, items=count, workers=workers,
                parent_cpu_s=parent_cpu, serial_items_per_s=count / serial_seconds, **cpu)


if __name__ == "__main__":
    main()
