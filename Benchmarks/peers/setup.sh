#!/usr/bin/env bash
# The extra Python peers of `mp-bench --peers`: a virtual environment under Benchmarks/peers/.venv
# (ignored by git) with the pool libraries users would pick beside multiprocessing, and pg-tiny's
# PostgreSQL-backed queues (Procrastinate, PgQueuer, with psycopg and asyncpg). Idempotent;
# a package that fails to install is only reported: mp-bench reports that peer as skipped.
set -uo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$python" -m venv .venv || exit 1
.venv/bin/python -m pip install -q --upgrade pip > /dev/null
for package in loky joblib mpire "ray[default]" "dask[distributed]" "psycopg[binary]" procrastinate asyncpg pgqueuer; do
    .venv/bin/python -m pip install -q "$package" || echo "setup: $package did not install; its peer will be skipped" >&2
done
.venv/bin/python -c 'import sys; print(sys.version)'
