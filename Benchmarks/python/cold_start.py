"""cold-start: Pool(2) then one apply; ms until the result, with fork, forkserver and spawn."""
import multiprocessing
import multiprocessing.pool  # imported before timing, as our side's code is loaded before it
import time

import mpbench_common as common


WORKERS = 2


def first_result_ms(method):
    context = multiprocessing.get_context(method)
    start = time.perf_counter()
    pool = context.Pool(WORKERS)
    result = pool.apply(common.square, (7,))
    milliseconds = (time.perf_counter() - start) * 1e3
    if result != 49:
        raise AssertionError(f"square of 7 is {result!r}")
    pool.close()
    pool.join()
    return milliseconds


def main():
    args = common.parse_args(start_methods="fork,forkserver,spawn")
    common.emit(workers=WORKERS, **{f"{method}_ms": first_result_ms(method) for method in args.start_methods})


if __name__ == "__main__":
    main()
