"""The pool libraries users would pick, behind one small interface, for the map, stream and
apply scenarios (`--library`): multiprocessing.Pool (the default), concurrent.futures'
ProcessPoolExecutor, loky's reusable executor, joblib's Parallel (automatic batching),
mpire's WorkerPool, Ray (a local `ray.init`) and Dask distributed (a LocalCluster of one-thread
worker processes). Each is used the way its documentation shows, with its own batching where it
has one; the scenario's script times the same calls whatever the library.
"""
import math
import os
import time

import mpbench_common as common

LIBRARIES = ("multiprocessing", "futures", "loky", "joblib", "mpire", "ray", "dask")


def default_chunksize(count, workers):
    """Pool.map's default chunk size (ceil(count / (4 * workers))): given to the executors,
    whose map otherwise sends one item per task."""
    return max(1, math.ceil(count / (4 * workers)))


def run_chunk(function, chunk):
    """One task of a chunk of items (Ray's and Dask's map)."""
    return [function(item) for item in chunk]


class Peer:
    """A pool of `workers` processes of the library `args.library`, started with the scenario's
    start method where the library takes one (loky and joblib always use loky's own)."""

    def __init__(self, args, workers):
        self.library = args.library
        self.workers = workers
        method = args.start_methods[0]
        if self.library == "multiprocessing":
            self.pool = common.context(args).Pool(workers)
        elif self.library == "futures":
            from concurrent.futures import ProcessPoolExecutor
            self.pool = ProcessPoolExecutor(workers, mp_context=common.context(args))
        elif self.library == "loky":
            import loky
            self.pool = loky.get_reusable_executor(max_workers=workers, reuse=False)
        elif self.library == "joblib":
            import joblib
            self.joblib = joblib
            self.pool = joblib.Parallel(n_jobs=workers, batch_size="auto")
            self.pool.__enter__()  # keeps its workers between calls
        elif self.library == "ray":
            import ray
            self.ray = ray
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
            self.remote = {}
        elif self.library == "dask":
            from dask.distributed import Client, LocalCluster
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.pool = Client(self.cluster)
        elif self.library == "mpire":
            import mpire
            # keep_alive: the same workers from one map to the next (the warm-up's are the timed ones).
            self.pool = mpire.WorkerPool(n_jobs=workers, start_method=method, keep_alive=True)
        else:
            raise SystemExit(f"unknown library {self.library}")

    def _ray(self, function):
        """The Ray remote function of `function` (one task per call), made once."""
        if function not in self.remote:
            self.remote[function] = self.ray.remote(function)
        return self.remote[function]

    def _chunks(self, items):
        size = default_chunksize(len(items), self.workers)
        return [items[start:start + size] for start in range(0, len(items), size)]

    # -- the calls the scenarios time --

    def map(self, function, items):
        """Every result, in order, with the library's usual batching."""
        if self.library == "multiprocessing":
            return self.pool.map(function, items)
        if self.library in ("futures", "loky"):
            return list(self.pool.map(function, items, chunksize=default_chunksize(len(items), self.workers)))
        if self.library == "joblib":
            return self.pool(self.joblib.delayed(function)(item) for item in items)
        if self.library in ("ray", "dask"):
            # No batching of their own: chunks of Pool.map's default size, as an expert would send.
            chunks = self._chunks(items)
            if self.library == "ray":
                results = self.ray.get([self._ray(run_chunk).remote(function, chunk) for chunk in chunks])
            else:
                results = self.pool.gather(self.pool.map(run_chunk, [function] * len(chunks), chunks, pure=False))
            return [result for chunk in results for result in chunk]
        return self.pool.map(function, items)  # mpire: its own chunking

    def map_one_by_one(self, function, items):
        """Every result, in order, one item per task (the warm-up)."""
        if self.library == "multiprocessing":
            return self.pool.map(function, items, chunksize=1)
        if self.library in ("futures", "loky"):
            return list(self.pool.map(function, items, chunksize=1))
        if self.library == "joblib":
            return self.joblib.Parallel(n_jobs=self.workers, batch_size=1)(
                self.joblib.delayed(function)(item) for item in items)
        if self.library == "ray":
            return self.ray.get([self._ray(function).remote(item) for item in items])
        if self.library == "dask":
            return self.pool.gather(self.pool.map(function, items, pure=False))
        return self.pool.map(function, items, chunk_size=1)

    def imap_unordered(self, function, items):
        """The results as they come, one item per task."""
        if self.library == "multiprocessing":
            return self.pool.imap_unordered(function, items, chunksize=1)
        if self.library in ("futures", "loky"):
            from concurrent.futures import as_completed
            return (future.result() for future in as_completed([self.pool.submit(function, item) for item in items]))
        if self.library == "joblib":
            return self.joblib.Parallel(n_jobs=self.workers, batch_size=1, return_as="generator_unordered")(
                self.joblib.delayed(function)(item) for item in items)
        if self.library == "ray":
            return self._ray_as_completed([self._ray(function).remote(item) for item in items])
        if self.library == "dask":
            from dask.distributed import as_completed
            return (future.result() for future in as_completed(self.pool.map(function, items, pure=False)))
        return self.pool.imap_unordered(function, items, chunk_size=1)

    def apply(self, function, argument):
        if self.library == "multiprocessing":
            return self.pool.apply(function, (argument,))
        if self.library in ("futures", "loky"):
            return self.pool.submit(function, argument).result()
        if self.library == "mpire":
            return self.pool.apply(function, (argument,))
        if self.library == "ray":
            return self.ray.get(self._ray(function).remote(argument))
        if self.library == "dask":
            return self.pool.submit(function, argument, pure=False).result()
        raise SystemExit(f"{self.library} has no apply")

    def _ray_as_completed(self, pending):
        """Ray's results as they finish (ray.wait hands back up to 64 ready ones at a time: one at
        a time is quadratic in the number pending)."""
        while pending:
            ready, pending = self.ray.wait(pending, num_returns=min(64, len(pending)), fetch_local=True)
            yield from self.ray.get(ready)

    # -- around them --

    def warm_up(self):
        """Runs whoami until every worker has answered; returns their process ids."""
        seen = set()
        for _ in range(100):
            seen.update(self.map_one_by_one(common.whoami, list(range(2 * self.workers))))
            if len(seen) >= self.workers:
                return sorted(seen)
        raise RuntimeError(f"only {len(seen)} of {self.workers} workers ran a task while warming up")

    def close(self):
        if self.library == "multiprocessing":
            self.pool.close()
            self.pool.join()
        elif self.library in ("futures", "loky"):
            self.pool.shutdown(wait=True)
        elif self.library == "joblib":
            self.pool.__exit__(None, None, None)
        elif self.library == "ray":
            self.ray.shutdown()
        elif self.library == "dask":
            self.pool.close()
            self.cluster.close()
        else:
            self.pool.terminate()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()
