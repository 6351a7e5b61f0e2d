"""oversized-pools: map(square, 1,000,000 ints) and imap_unordered(square, range(20000),
chunksize=1) on pools of 4 and of 8 workers, whatever the CPUs; items/s."""
import time

import mpbench_common as common

SIZES = (4, 8)


def main():
    args = common.parse_args()
    map_count = 100_000 if args.quick else 1_000_000
    stream_count = 2_000 if args.quick else 20_000
    inputs = list(range(map_count))
    metrics = {"map_items": map_count, "stream_items": stream_count, "small_workers": SIZES[0],
               "large_workers": SIZES[1]}
    for workers in SIZES:
        with common.context(args).Pool(workers) as pool:
            meter = common.CPUMeter(common.warm_up(pool, workers))
            start = time.perf_counter()
            squares = pool.map(common.square, inputs)
            metrics[f"map_{workers}_per_s"] = map_count / (time.perf_counter() - start)
            metrics[f"map_{workers}_cpu_s"] = meter.metrics()["cpu_s"]
            if squares != [i * i for i in range(map_count)]:
                raise AssertionError(f"{workers} workers: the squares came back wrong")
            meter = common.CPUMeter([process.pid for process in pool._pool])
            start = time.perf_counter()
            streamed = list(pool.imap_unordered(common.square, range(stream_count), chunksize=1))
            metrics[f"stream_{workers}_per_s"] = stream_count / (time.perf_counter() - start)
            metrics[f"stream_{workers}_cpu_s"] = meter.metrics()["cpu_s"]
            if sorted(streamed) != [i * i for i in range(stream_count)]:
                raise AssertionError(f"{workers} workers: the streamed squares came back wrong")
    common.emit(**metrics)


if __name__ == "__main__":
    main()
