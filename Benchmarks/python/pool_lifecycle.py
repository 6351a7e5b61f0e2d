"""pool-lifecycle: Pool(n), one map of 100,000 squares, close and join, as one figure; ms,
with each start method given."""
import multiprocessing
import multiprocessing.pool  # imported before timing, as our side's code is loaded before it
import time

import mpbench_common as common

COUNT = 100_000


def lifecycle_ms(method, workers):
    inputs = list(range(COUNT))
    start = time.perf_counter()
    pool = multiprocessing.get_context(method).Pool(workers)
    squares = pool.map(common.square, inputs)
    pool.close()
    pool.join()
    milliseconds = (time.perf_counter() - start) * 1e3
    if squares != [i * i for i in range(COUNT)]:
        raise AssertionError("the squares came back wrong")
    return milliseconds


def main():
    args = common.parse_args(start_methods="fork,spawn")
    workers = common.cpus()
    common.emit(items=COUNT, workers=workers,
                **{f"{method}_ms": lifecycle_ms(method, workers) for method in args.start_methods})


if __name__ == "__main__":
    main()
