"""Peer of pg-tiny: N tiny tasks (square an int) through PgQueuer, a PostgreSQL-backed job queue,
on the benchmark's own server (MP_BENCH_POSTGRES_URL, set by mp-bench --postgres).

As our side has one worker host with two local workers, two PgQueuer worker processes (a
QueueManager each, on an asyncpg connection, dequeuing in batches of BATCH_SIZE, PgQueuer's
default, with no concurrency limit on the entrypoint: PgQueuer runs one asyncio worker per
process, and the GIL gives a process one CPU) serve the queue. The N jobs are enqueued in one
batch (`Queries.enqueue` with lists, one INSERT). PgQueuer keeps no return value, so each job
writes its result as a row of this run's results table (pg_tiny_results) through an asyncpg
pool of its worker; the clock runs from the batch's submission until the last row is seen
(polled every 2 ms), and then every value is checked, none missing, none twice.

Needs pgqueuer, asyncpg and psycopg (Benchmarks/peers/setup.sh installs them in the peers' venv)."""
import asyncio
import multiprocessing
import os
import sys
import time

import mpbench_common as common
import pg_tiny_results as results

WORKER_PROCESSES = 2
BATCH_SIZE = 10  # jobs a worker dequeues at once (PgQueuer's default)
ENTRYPOINT = "square"


async def queries(url):
    """PgQueuer's queries over a fresh asyncpg connection."""
    import asyncpg
    import pgqueuer

    return pgqueuer.Queries(pgqueuer.AsyncpgDriver(await asyncpg.connect(url)))


def run_worker(url, table):
    """One worker process: serves the entrypoint until it is terminated."""
    import asyncpg
    import pgqueuer

    async def serve():
        pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
        manager = pgqueuer.QueueManager(await queries(url))

        @manager.entrypoint(ENTRYPOINT)
        async def square(job):
            x = int(job.payload)
            await pool.execute(f"INSERT INTO {table} (x, y) VALUES ($1, $2)", x, x * x)

        await manager.run(batch_size=BATCH_SIZE)

    asyncio.run(serve())


async def measure(url, connection, table, tasks):
    """The warm-up, then the timed batch, both enqueued over one connection opened before."""
    submitter = await queries(url)

    async def enqueue(inputs):
        inputs = list(inputs)
        await submitter.enqueue([ENTRYPOINT] * len(inputs), [str(x).encode() for x in inputs], [0] * len(inputs))

    # Warm up: the workers are up and have run tasks; then an empty table for the timed part.
    await enqueue(range(100))
    results.wait_for_rows(connection, table, 100, timeout=120)
    results.check_squares(connection, table, 100)
    connection.execute(f"TRUNCATE {table}")
    start = time.perf_counter()
    await enqueue(range(tasks))
    end = results.wait_for_rows(connection, table, tasks)
    seconds = end - start
    time.sleep(0.2)  # a duplicate written just after the last row is still caught
    results.check_squares(connection, table, tasks)
    return dict(tasks_per_s=tasks / seconds, seconds=seconds, tasks=tasks)


async def install_schema(url):
    """PgQueuer's tables, once per server; the jobs and logs of earlier runs removed."""
    repository = await queries(url)
    if not await repository.schema_is_installed():
        await repository.install()
    await repository.clear_queue()
    await repository.clear_queue_log()
    await repository.clear_statistics_log()


def main():
    args = common.parse_args()
    tasks = 2_000 if args.quick else 20_000
    url = os.environ.get("MP_BENCH_POSTGRES_URL")
    if not url:
        sys.exit("pgqueuer_tiny: MP_BENCH_POSTGRES_URL is not set (mp-bench --postgres URL sets it)")
    table = f"mpbench_pgqueuer_{os.getpid()}"
    connection = results.connect(url)
    asyncio.run(install_schema(url))
    results.create_table(connection, table)
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=run_worker, args=(url, table)) for _ in range(WORKER_PROCESSES)]
    try:
        for worker in workers:
            worker.start()
        common.emit(**asyncio.run(measure(url, connection, table, tasks)))
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
