"""worker-memory: USS and PSS of each idle worker of a spawn Pool after a tiny task; MiB."""
import time

import mpbench_common as common


def main():
    args = common.parse_args(start_methods="spawn")
    workers = common.cpus()
    with common.context(args).Pool(workers) as pool:
        pids = common.warm_up(pool, workers)
        # The pool's own processes and those that answered must agree (our side checks
        # workerPIDs() likewise).
        if sorted(process.pid for process in pool._pool) != pids:
            raise AssertionError(f"the pool's workers are not the {pids} that answered")
        time.sleep(0.3)
        uss = pss = rss = 0.0
        for pid in pids:
            u, p, r = common.process_memory_kib(pid)
            uss, pss, rss = uss + u, pss + p, rss + r
    n = len(pids)
    common.emit(uss_mib=uss / n / 1024, pss_mib=pss / n / 1024, rss_mib=rss / n / 1024, workers=n)


if __name__ == "__main__":
    main()
