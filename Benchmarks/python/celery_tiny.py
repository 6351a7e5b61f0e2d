"""Peer of pg-tiny: N tiny tasks end to end through Celery 5 with a Redis broker and result
backend on loopback; one worker with --concurrency 2 (prefork), as our side has one worker host
with two local workers. The clock runs from the group's submission to its last result.

`--library chunks`: the work batched as Celery's documentation shows for many tiny tasks,
`square.chunks(zip(range(N)), size).group()`: N / size tasks of `size` calls each, size being
Pool.map's default chunk size (ceil(N / (4 * 2 processes)): 2,500 for N = 20,000), so that each
process gets several chunks. The results come back as one list per chunk, flattened in order.

Needs `redis-server` on PATH and the celery and redis packages (pip install celery redis)."""
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import mpbench_common as common

CONCURRENCY = 2  # the worker's prefork processes


def chunk_size(tasks):
    """Pool.map's default chunk size for `tasks` items on CONCURRENCY processes."""
    return max(1, math.ceil(tasks / (4 * CONCURRENCY)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    args = common.parse_args()
    tasks = 2_000 if args.quick else 20_000
    if args.library not in ("multiprocessing", "chunks"):
        sys.exit(f"celery_tiny: --library takes chunks (or nothing: a group of single tasks), not {args.library}")
    chunked = args.library == "chunks"
    if shutil.which("redis-server") is None:
        sys.exit("celery_tiny: redis-server is not on PATH (apt-get install redis-server)")
    here = os.path.dirname(os.path.abspath(__file__))
    work = tempfile.mkdtemp(prefix="mpbench-celery-")
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", work], stdout=subprocess.DEVNULL)
    env = dict(os.environ, MPBENCH_REDIS_URL=f"redis://127.0.0.1:{port}/0", PYTHONPATH=here)
    os.environ.update(env)
    worker = None
    try:
        time.sleep(0.3)
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "celery_tasks", "worker", "--concurrency", str(CONCURRENCY),
                                   "--pool", "prefork", "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
                                   "--without-heartbeat"], cwd=here, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sys.path.insert(0, here)
        from celery import group
        import celery_tasks
        # Warm up: the worker is up and both its processes have answered.
        group(celery_tasks.square.s(i) for i in range(100))().get(timeout=120)
        start = time.perf_counter()
        if chunked:
            size = chunk_size(tasks)
            chunks = celery_tasks.square.chunks(((i,) for i in range(tasks)), size).group()().get(timeout=600)
            results = [square for chunk in chunks for square in chunk]
        else:
            results = group(celery_tasks.square.s(i) for i in range(tasks))().get(timeout=600)
        seconds = time.perf_counter() - start
        # Equal lists: every value right, in order, none missing, none twice.
        if results != [i * i for i in range(tasks)]:
            raise AssertionError(f"the squares came back wrong ({len(results)} results for {tasks} tasks)")
        common.emit(tasks_per_s=tasks / seconds, seconds=seconds, tasks=tasks)
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
        redis.terminate()
        redis.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
