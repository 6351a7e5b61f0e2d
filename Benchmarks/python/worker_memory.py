"""worker-memory: USS, PSS and RSS of each idle worker of a Pool after a tiny task, for each
start method given (spawn, fork, forkserver); MiB."""
import multiprocessing
import time

import mpbench_common as common


def measure(method, workers):
    with multiprocessing.get_context(method).Pool(workers) as pool:
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
    return {f"{method}_uss_mib": uss / n / 1024, f"{method}_pss_mib": pss / n / 1024,
            f"{method}_rss_mib": rss / n / 1024}


def main():
    args = common.parse_args(start_methods="spawn,fork,forkserver")
    workers = common.cpus()
    metrics = {"workers": workers}
    for method in args.start_methods:
        metrics.update(measure(method, workers))
    common.emit(**metrics)


if __name__ == "__main__":
    main()
