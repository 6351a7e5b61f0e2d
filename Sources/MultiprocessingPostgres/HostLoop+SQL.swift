#if Postgres
import PostgresNIO

// SQL: every statement of a worker host's loops (the submitter's are in DistributedProcessPool).
extension HostLoop {
    /// Registers this host, with its build and worker count, for `status`.
    func registerSQL() -> PostgresQuery {
        return """
            INSERT INTO mp_hosts (id, queue, hostname, pid, build_id, workers)
            VALUES (\(hostID), \(queue), \(hostName), \(Int32(getpid())), \(BuildIdentity.current), \(Int32(pool.workerCount)))
            """
    }

    /// Takes up to `limit` pending tasks of this build's open jobs (see ``ClaimStatement``).
    func claimSQL(limit: Int, limitedJobs: Bool) -> PostgresQuery {
        ClaimStatement.query(queue: queue, hostID: hostID, leaseMS: leaseMS, limit: limit, limitedJobs: limitedJobs)
    }

    /// Taken by a limited claim for its transaction: one limited claim of a queue at a time.
    func limitedClaimLockSQL() -> PostgresQuery {
        "SELECT pg_advisory_xact_lock(hashtext('mp_limited_claim:' || \(queue)))"
    }

    /// The rows of jobs whose tasks were claimed.
    func loadJobsSQL(_ ids: [Int64]) -> PostgresQuery {
        return """
            SELECT id, build_id, job_type, job_name, job_blob, timeout_ms, state FROM mp_jobs WHERE id = ANY(\(ids)::int8[])
            """
    }

    /// Extends the leases of the tasks this host holds (and still owns in the table). Rows
    /// another transaction holds right now are skipped, not waited for: a renewal that waited
    /// renewed nothing meanwhile (and deadlocked now and then with this host's own write-back);
    /// a skipped row is renewed by the next beat, a third of a lease later.
    func renewLeasesSQL(_ held: [TaskKey]) -> PostgresQuery {
        return """
            WITH free AS (
                SELECT t.job_id, t.idx FROM mp_tasks t
                JOIN unnest(\(held.map(\.jobID))::int8[], \(held.map(\.index))::int4[]) AS h(job_id, idx)
                  ON t.job_id = h.job_id AND t.idx = h.idx
                WHERE t.state = 'running' AND t.host = \(hostID)
                FOR UPDATE OF t SKIP LOCKED)
            UPDATE mp_tasks t SET lease_until = now() + \(leaseMS) * interval '1 millisecond'
            FROM free WHERE t.job_id = free.job_id AND t.idx = free.idx
            """
    }

    /// Expired leases: back to pending, or dead after the last attempt; notifies collectors and hosts.
    func reapExpiredLeasesSQL() -> PostgresQuery {
        return """
            WITH x AS (SELECT job_id, idx FROM mp_tasks WHERE queue = \(queue) AND state = 'running' AND lease_until < now()
                       FOR UPDATE SKIP LOCKED),
            upd AS (
                UPDATE mp_tasks t SET
                    state = CASE WHEN t.attempts >= j.max_attempts THEN 'dead' ELSE 'pending' END,
                    error = 'lease expired: the host stopped answering',
                    causes = t.causes || 'lease expired: the host stopped answering'::text,
                    cause_hosts = t.cause_hosts || coalesce(t.host, '?'),
                    done_seq = CASE WHEN t.attempts >= j.max_attempts THEN nextval('mp_done_seq') END,
                    host = CASE WHEN t.attempts >= j.max_attempts THEN t.host END,
                    queued_at = CASE WHEN t.attempts >= j.max_attempts THEN t.queued_at ELSE now() END, ended_at = now(),
                    lease_until = NULL
                FROM x, mp_jobs j WHERE t.job_id = x.job_id AND t.idx = x.idx AND j.id = t.job_id
                RETURNING t.job_id, t.state)
            SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM upd WHERE state = 'dead'),
                   (SELECT count(pg_notify('mp_results', d.job_id::text)) FROM (SELECT DISTINCT job_id FROM upd WHERE state = 'dead') d),
                   (SELECT count(pg_notify('mp_tasks', \(queue))) FROM (SELECT 1 FROM upd WHERE state = 'pending' LIMIT 1) p)
            """
    }

    /// Stores outcomes: done, failed, retried (dead after the last attempt) or handed back;
    /// an outcome for a task already finished elsewhere is counted as a duplicate (written again
    /// by this host after a lost reply, it changes nothing). Notifies
    /// the jobs' collectors, and hosts when tasks went back to pending.
    func writeBackSQL(_ batch: [TaskOutcomeRecord]) -> PostgresQuery {
        let jobIDs = batch.map(\.jobID)
        let indices = batch.map(\.index)
        let kinds = batch.map(\.kind.rawValue)
        let outputs = batch.map { ByteBuffer(bytes: $0.output) }
        // Whatever a job produced: no NUL byte, no megabyte per attempt (see StorableText).
        let errorTypes = batch.map { StorableText.make($0.errorType) }
        let errors = batch.map { StorableText.make($0.error) }
        return """
            WITH r AS (
                SELECT * FROM unnest(\(jobIDs)::int8[], \(indices)::int4[], \(kinds)::text[], \(outputs)::bytea[],
                                     \(errorTypes)::text[], \(errors)::text[]) AS r(job_id, idx, kind, output, error_type, error)),
            upd AS (
                UPDATE mp_tasks t SET
                    state = CASE WHEN r.kind = 'release' THEN 'pending' WHEN r.kind <> 'retry' THEN r.kind
                                 WHEN t.attempts >= j.max_attempts THEN 'dead' ELSE 'pending' END,
                    attempts = CASE WHEN r.kind = 'release' THEN greatest(t.attempts - 1, 0) ELSE t.attempts END,
                    output = CASE WHEN r.kind = 'done' THEN r.output END,
                    error_type = CASE WHEN r.kind = 'release' THEN t.error_type ELSE nullif(r.error_type, '') END,
                    error = CASE WHEN r.kind = 'release' THEN t.error ELSE nullif(r.error, '') END,
                    causes = CASE WHEN r.kind IN ('done', 'release') THEN t.causes ELSE t.causes || r.error END,
                    cause_hosts = CASE WHEN r.kind IN ('done', 'release') THEN t.cause_hosts ELSE t.cause_hosts || \(hostID)::text END,
                    done_seq = CASE WHEN r.kind = 'release' OR (r.kind = 'retry' AND t.attempts < j.max_attempts) THEN NULL
                                    ELSE nextval('mp_done_seq') END,
                    host = CASE WHEN r.kind = 'release' OR (r.kind = 'retry' AND t.attempts < j.max_attempts) THEN NULL
                                ELSE \(hostID) END,
                    queued_at = CASE WHEN r.kind = 'release' OR (r.kind = 'retry' AND t.attempts < j.max_attempts) THEN now()
                                     ELSE t.queued_at END, ended_at = now(),
                    lease_until = NULL
                FROM r, mp_jobs j
                WHERE t.job_id = r.job_id AND t.idx = r.idx AND j.id = t.job_id
                  AND ((t.state = 'running' AND (r.kind NOT IN ('retry', 'release') OR t.host = \(hostID)))
                       OR (t.state = 'pending' AND r.kind NOT IN ('retry', 'release')))
                RETURNING t.job_id, t.state),
            dup AS (
                UPDATE mp_tasks t SET duplicates = t.duplicates + 1 FROM r
                WHERE t.job_id = r.job_id AND t.idx = r.idx AND r.kind NOT IN ('retry', 'release')
                  AND t.state IN ('done', 'failed', 'dead')
                  -- This host's own outcome written again (an earlier write's reply was lost) is no duplicate.
                  AND NOT (t.host = \(hostID) AND t.state = r.kind)
                RETURNING 1)
            SELECT (SELECT count(*) FROM dup),
                   (SELECT count(pg_notify('mp_results', d.job_id::text)) FROM (SELECT DISTINCT job_id FROM upd WHERE state <> 'pending') d),
                   (SELECT count(pg_notify('mp_tasks', \(queue))) FROM (SELECT 1 FROM upd WHERE state = 'pending' LIMIT 1) p)
            """
    }
}
#endif  // Postgres
