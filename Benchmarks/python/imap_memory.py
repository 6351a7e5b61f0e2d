"""imap-memory: imap(square, range(10,000,000), chunksize=1000), every result checked in order:
the parent's peak RSS (VmHWM) at the end; MiB."""
import time

import mpbench_common as common

CHUNK_SIZE = 1_000


def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def main():
    args = common.parse_args()
    count = 200_000 if args.quick else 10_000_000
    workers = common.cpus()
    with common.context(args).Pool(workers) as pool:
        common.warm_up(pool, workers)
        before = status_kib("VmRSS")
        start = time.perf_counter()
        index = 0
        for square in pool.imap(common.square, range(count), chunksize=CHUNK_SIZE):
            # In order, each the square of its input, as our side checks.
            if square != index * index:
                raise AssertionError(f"result {index} is {square!r}")
            index += 1
        seconds = time.perf_counter() - start
        peak = status_kib("VmHWM")
    if index != count:
        raise AssertionError(f"{index} results for {count} inputs")
    common.emit(peak_mib=peak / 1024, growth_mib=(peak - before) / 1024, rss_before_mib=before / 1024,
                imap_items_per_s=count / seconds, items=count, chunk_size=CHUNK_SIZE, workers=workers)


if __name__ == "__main__":
    main()
