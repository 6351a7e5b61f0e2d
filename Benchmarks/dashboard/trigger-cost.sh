#!/usr/bin/env bash
# Why schema version 5's task times (queued_at, claimed_at, ended_at) are set by the statements
# that change a task's state and not by a trigger: what each way costs those statements.
# 100,000 rows of a table shaped like mp_tasks (its state-partial indexes),
# taken pending → running → done in batches of 256 rows (a host's claim batch): without the times,
# with them set by the statements, and with the trigger, in turn, 3 rounds each. Prints the milliseconds of each round.
#
# Usage: Benchmarks/dashboard/trigger-cost.sh [rows=100000]
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-100000}
pg_dir=/tmp/mp-trigger-cost-$$
trap 'Benchmarks/postgres/throwaway-server.sh stop "$pg_dir" > /dev/null 2>&1 || true' EXIT
url=$(Benchmarks/postgres/throwaway-server.sh start "$pg_dir")
sql() { psql "$url" -X -q -v ON_ERROR_STOP=1 "$@"; }

sql <<'SQL'
CREATE TABLE t (job_id bigint, idx integer, queue text NOT NULL DEFAULT 'q', state text NOT NULL DEFAULT 'pending',
                attempts integer NOT NULL DEFAULT 0, host text, lease_until timestamptz, output bytea,
                queued_at timestamptz DEFAULT now(), claimed_at timestamptz, ended_at timestamptz, PRIMARY KEY (job_id, idx));
CREATE INDEX t_claimable ON t (queue, job_id, idx) WHERE state = 'pending';
CREATE INDEX t_leases ON t (queue, lease_until) WHERE state = 'running';
CREATE FUNCTION mp_task_times() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'pending' THEN
        NEW.queued_at := now(); NEW.claimed_at := NULL; NEW.ended_at := NULL;
    ELSIF NEW.state = 'running' THEN
        NEW.claimed_at := now(); NEW.ended_at := NULL;
    ELSE
        NEW.ended_at := now();
    END IF;
    RETURN NEW;
END $$;
-- One round: every row claimed and ended, 256 rows a statement, as hosts do.
CREATE PROCEDURE round(n integer) LANGUAGE plpgsql AS $$
BEGIN
    FOR b IN 0 .. (n - 1) / 256 LOOP
        UPDATE t SET state = 'running', attempts = attempts + 1, host = 'h', lease_until = now() + interval '30 s'
        WHERE job_id = 1 AND idx >= b * 256 AND idx < (b + 1) * 256;
        UPDATE t SET state = 'done', output = '\x01', lease_until = NULL
        WHERE job_id = 1 AND idx >= b * 256 AND idx < (b + 1) * 256;
    END LOOP;
END $$;
-- The same with the times set by the statements themselves, not a trigger.
CREATE PROCEDURE explicit_round(n integer) LANGUAGE plpgsql AS $$
BEGIN
    FOR b IN 0 .. (n - 1) / 256 LOOP
        UPDATE t SET state = 'running', attempts = attempts + 1, host = 'h', lease_until = now() + interval '30 s',
                     claimed_at = now(), ended_at = NULL
        WHERE job_id = 1 AND idx >= b * 256 AND idx < (b + 1) * 256;
        UPDATE t SET state = 'done', output = '\x01', lease_until = NULL, ended_at = now()
        WHERE job_id = 1 AND idx >= b * 256 AND idx < (b + 1) * 256;
    END LOOP;
END $$;
SQL
sql -c "INSERT INTO t (job_id, idx) SELECT 1, g FROM generate_series(0, $rows - 1) g" -c "VACUUM ANALYZE t"

time_round() {   # milliseconds of one round of procedure $1 (claims and ends only: the reset is done before)
    sql -c "UPDATE t SET state = 'pending', attempts = 0, host = NULL, output = NULL" -c "VACUUM t" > /dev/null
    sql -At -c "DO \$\$ DECLARE s timestamptz; BEGIN s := clock_timestamp(); CALL $1($rows);
                RAISE NOTICE '%', round(extract(epoch FROM clock_timestamp() - s) * 1000); END \$\$" 2>&1 \
        | sed -n 's/.*NOTICE: *//p'
}
for round in 1 2 3; do
    sql -c "DROP TRIGGER IF EXISTS mp_task_times ON t" 2> /dev/null
    without=$(time_round round)
    explicit=$(time_round explicit_round)
    sql -c "CREATE TRIGGER mp_task_times BEFORE UPDATE OF state ON t FOR EACH ROW
            WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION mp_task_times()"
    with=$(time_round round)
    echo "round $round: $rows rows claimed and ended: without the times $without ms, set by the statements $explicit ms, by the trigger $with ms"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
