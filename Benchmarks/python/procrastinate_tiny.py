"""Peer of pg-tiny: N tiny tasks (square an int) through Procrastinate 3, a PostgreSQL-backed
task queue, on the benchmark's own server (MP_BENCH_POSTGRES_URL, set by mp-bench --postgres).

As our side has one worker host with two local workers, two Procrastinate worker processes
(`App.run_worker_async`, concurrency 1 each: Procrastinate runs one worker per process with
coroutines, and the GIL gives a process one CPU) serve the queue. The N jobs are deferred in one
batch (`Task.batch_defer_async`, one INSERT), the fastest submission Procrastinate has.
Procrastinate keeps no return value, so each task writes its result as a row of this run's
results table (pg_tiny_results); the clock runs from the batch's submission until the last row
is seen (polled every 2 ms), and then every value is checked, none missing, none twice.

Needs procrastinate and psycopg (Benchmarks/peers/setup.sh installs them in the peers' venv)."""
import asyncio
import logging
import multiprocessing
import os
import sys
import time

import mpbench_common as common
import pg_tiny_results as results

WORKER_PROCESSES = 2
CONCURRENCY = 1  # jobs at once in each worker process

# Procrastinate warns that the app is made in the main module (a worker started from its CLI could
# then miss its tasks); here each worker process makes the same app itself.
logging.getLogger("procrastinate").setLevel(logging.ERROR)


def make_app(url, table, queue):
    """The Procrastinate app and its one task, which stores x * x in `table`."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="square", queue=queue, pass_context=True)
    async def square(context, x):
        await context.app.connector.execute_query_async(
            f"INSERT INTO {table} (x, y) VALUES (%(x)s, %(y)s)", x=x, y=x * x)

    return app, square


def run_worker(url, table, queue):
    """One worker process: serves `queue` until it is terminated."""
    app, _ = make_app(url, table, queue)

    async def serve():
        async with app.open_async():
            await app.run_worker_async(queues=[queue], concurrency=CONCURRENCY, wait=True)

    asyncio.run(serve())


async def measure(url, connection, table, queue, tasks):
    """The warm-up, then the timed batch; the app (its connection pool) is opened once, before both."""
    app, square = make_app(url, table, queue)
    async with app.open_async():
        # Warm up: the workers are up and have run tasks; then an empty table for the timed part.
        await square.batch_defer_async(*({"x": x} for x in range(100)))
        results.wait_for_rows(connection, table, 100, timeout=120)
        results.check_squares(connection, table, 100)
        connection.execute(f"TRUNCATE {table}")
        start = time.perf_counter()
        await square.batch_defer_async(*({"x": x} for x in range(tasks)))
        end = results.wait_for_rows(connection, table, tasks)
    seconds = end - start
    time.sleep(0.2)  # a duplicate written just after the last row is still caught
    results.check_squares(connection, table, tasks)
    return dict(tasks_per_s=tasks / seconds, seconds=seconds, tasks=tasks)


def install_schema(url, connection):
    """Procrastinate's tables, once per server; the jobs of earlier runs removed."""
    if connection.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0] is None:
        app, _ = make_app(url, "unused", "unused")

        async def apply():
            async with app.open_async():
                await app.schema_manager.apply_schema_async()

        asyncio.run(apply())
    connection.execute("TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_workers CASCADE")


def main():
    args = common.parse_args()
    tasks = 2_000 if args.quick else 20_000
    url = os.environ.get("MP_BENCH_POSTGRES_URL")
    if not url:
        sys.exit("procrastinate_tiny: MP_BENCH_POSTGRES_URL is not set (mp-bench --postgres URL sets it)")
    table = f"mpbench_procrastinate_{os.getpid()}"
    queue = f"mpbench-{os.getpid()}"
    connection = results.connect(url)
    install_schema(url, connection)
    results.create_table(connection, table)
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=run_worker, args=(url, table, queue)) for _ in range(WORKER_PROCESSES)]
    try:
        for worker in workers:
            worker.start()
        common.emit(**asyncio.run(measure(url, connection, table, queue, tasks)))
    finally:
        for worker in workers:
            if worker.pid is not None:
                worker.terminate()
        for worker in workers:
            if worker.pid is not None:
                worker.join(10)
                if worker.is_alive():
                    worker.kill()
                    worker.join()
        results.drop_table(connection, table)
        connection.close()


if __name__ == "__main__":
    main()
