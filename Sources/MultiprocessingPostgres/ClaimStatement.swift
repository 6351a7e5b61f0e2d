#if Postgres
import PostgresNIO

/// A worker host's claim: the one statement that hands tasks to hosts, apart from the host's
/// other SQL because its plan decides the queue's throughput (a test reads the plan).
@_spi(Testing)
public enum ClaimStatement {
    /// Takes up to `limit` pending tasks of this build's open jobs, with a lease each: the
    /// highest priority first; among jobs of one priority, in turn (each job's first pending
    /// task, then each one's second, ...; the older job first within a turn), so that a small
    /// job submitted behind a big one starts at once.
    ///
    /// Each job offers its first `2 × limit` pending tasks (the first `LATERAL`, on the claimable
    /// index); they are ranked within their job, and the best `limit` of them that no other
    /// host is claiming right now are locked (`SKIP LOCKED`) and taken.
    ///
    /// The shape is chosen so that the plan cannot depend on the table's statistics: the offered
    /// tasks, in the claim's order, drive a lock of each one by its key (the second `LATERAL`,
    /// which the planner can neither flatten nor reorder), and the claim stops at `limit`.
    /// Joined as plain tables, the planner, told by an analysis of a table full of finished
    /// tasks that none was pending, looped over every pending task of the queue once per
    /// offered task (6.4 million rows for a claim of 64 among 20,000; see ClaimPlanTests).
    ///
    /// `limitedJobs` chooses between the jobs without a limit on their running tasks and those
    /// with one (`mp_jobs.max_running`): a limited job offers no more than its limit minus its
    /// running tasks. Counting those is only right while no other host claims the same job's
    /// tasks, so limited claims run one at a time (see `HostLoop.claimLimited(limit:)`).
    /// Each row also says whether an open limited job exists (one row with no task when nothing
    /// was taken), so that a host runs a limited claim only when there is something to claim.
    /// - Parameters:
    ///   - queue: the queue claimed from.
    ///   - hostID: the host that takes the tasks (their `host`).
    ///   - leaseMS: how long each lease lasts before another host may take the task back.
    ///   - limit: at most this many tasks.
    ///   - limitedJobs: claim the jobs with a limit on their running tasks, or those without.
    public static func query(queue: String, hostID: String, leaseMS: Int64, limit: Int, limitedJobs: Bool) -> PostgresQuery {
        let room: String = limitedJobs
            ? "j.max_running - (SELECT count(*) FROM mp_tasks r WHERE r.job_id = j.id AND r.state = 'running')"
            : "\(Int32(limit))"
        return """
            WITH j AS (SELECT id, priority, max_running FROM mp_jobs WHERE queue = \(queue) AND state = 'running'
                         AND build_id = \(BuildIdentity.current) AND max_running IS \(unescaped: limitedJobs ? "NOT NULL" : "NULL")),
            room AS (SELECT j.id, j.priority, \(unescaped: room) AS room FROM j),
            offered AS (SELECT o.job_id, o.idx, room.priority, room.room,
                               row_number() OVER (PARTITION BY o.job_id ORDER BY o.idx) AS turn
                        FROM room CROSS JOIN LATERAL (
                            SELECT t.job_id, t.idx FROM mp_tasks t
                            WHERE t.queue = \(queue) AND t.job_id = room.id AND t.state = 'pending'
                            ORDER BY t.idx LIMIT \(Int32(min(limit, 1 << 20) * 2))) o
                        WHERE room.room > 0),
            c AS (SELECT l.job_id, l.idx, o.priority, o.turn
                  FROM (SELECT * FROM offered WHERE turn <= room ORDER BY priority DESC, turn, job_id) o
                  CROSS JOIN LATERAL (
                      SELECT t.job_id, t.idx FROM mp_tasks t
                      WHERE t.queue = \(queue) AND t.job_id = o.job_id AND t.idx = o.idx AND t.state = 'pending'
                      FOR UPDATE SKIP LOCKED) l
                  ORDER BY o.priority DESC, o.turn, o.job_id LIMIT \(Int32(limit))),
            u AS (UPDATE mp_tasks t SET state = 'running', attempts = t.attempts + 1, host = \(hostID),
                         lease_until = now() + \(leaseMS) * interval '1 millisecond', claimed_at = now()
                  FROM c WHERE t.job_id = c.job_id AND t.idx = c.idx
                  RETURNING t.job_id, t.idx, t.input, c.priority, c.turn),
            limited AS (SELECT EXISTS (SELECT 1 FROM mp_jobs WHERE queue = \(queue) AND state = 'running'
                                         AND build_id = \(BuildIdentity.current) AND max_running IS NOT NULL) AS open)
            -- In the claim's order: the host starts them in it.
            SELECT u.job_id, u.idx, u.input, limited.open
            FROM limited LEFT JOIN u ON true
            ORDER BY u.priority DESC, u.turn, u.job_id
            """
    }
}
#endif  // Postgres
