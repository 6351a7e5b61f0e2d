"""What the PostgreSQL-backed peers of pg-tiny (Procrastinate, PgQueuer) share: neither keeps a
task's return value, so each task writes its result as a row (x, x * x) of a table of this run,
the way such a queue's users get results back; the submitter waits for the last row and then
checks every value, that none is missing and that none came twice.

Needs psycopg 3 (Benchmarks/peers/setup.sh installs it in the peers' virtual environment)."""
import time

import psycopg


def connect(url):
    return psycopg.connect(url, autocommit=True)


def create_table(connection, table):
    """A fresh, empty results table (no key: a duplicate must show up as a second row)."""
    connection.execute(f"DROP TABLE IF EXISTS {table}")
    connection.execute(f"CREATE UNLOGGED TABLE {table} (x bigint NOT NULL, y bigint NOT NULL)")


def drop_table(connection, table):
    connection.execute(f"DROP TABLE IF EXISTS {table}")


def wait_for_rows(connection, table, count, timeout=600, interval=0.002):
    """Polls until the table holds at least `count` rows; returns the time the last was seen."""
    deadline = time.monotonic() + timeout
    while True:
        seen = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if seen >= count:
            return time.perf_counter()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{seen} of {count} results after {timeout} s")
        time.sleep(interval)


def check_squares(connection, table, tasks):
    """Every task's result, right, exactly once: raises AssertionError saying what is wrong."""
    rows = connection.execute(f"SELECT x, y FROM {table}").fetchall()
    wrong = [(x, y) for x, y in rows if y != x * x]
    if wrong:
        raise AssertionError(f"{len(wrong)} wrong squares, e.g. {wrong[:3]}")
    inputs = sorted(x for x, _ in rows)
    duplicates = len(inputs) - len(set(inputs))
    missing = set(range(tasks)) - set(inputs)
    strangers = set(inputs) - set(range(tasks))
    if duplicates or missing or strangers:
        raise AssertionError(f"{duplicates} duplicate results, {len(missing)} missing, {len(strangers)} not submitted "
                             f"(of {tasks} tasks)")
