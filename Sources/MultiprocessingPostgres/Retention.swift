#if Postgres
import PostgresNIO

/// Removal of finished jobs, and of hosts long gone.
enum Retention {
    /// A job still `loading` (being stored in pieces, see ``JobSubmission``) into which nothing
    /// was stored for this long is taken as abandoned by its submitter, and removed: a live
    /// submitter stores its next piece within its outage tolerance (a minute by default).
    static let abandonedAfterSeconds = 3_600.0

    /// First marks `finished` (from now) the jobs whose every task ended though no collector
    /// saw them end (the submitter went away): their outcomes stay collectable by `attach` for
    /// the retention, then they go like the others. Then removes the jobs finished or
    /// cancelled more than `age` ago, and the half-stored jobs abandoned by their submitters.
    static func removeFinishedJobs(_ database: QueueDatabase, queue: String, olderThan age: Duration) async throws -> Int {
        let seconds = Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18
        // Both look-ups use partial indexes: the pending tasks by job, and the (few) running ones.
        try await database.execute("""
            UPDATE mp_jobs j SET state = 'finished', finished_at = now()
            WHERE j.queue = \(queue) AND j.state = 'running'
              AND NOT EXISTS (SELECT 1 FROM mp_tasks t WHERE t.queue = \(queue) AND t.job_id = j.id AND t.state = 'pending')
              AND j.id NOT IN (SELECT t.job_id FROM mp_tasks t WHERE t.queue = \(queue) AND t.state = 'running')
            """)
        var removed = 0
        for try await count in try await database.execute("""
            WITH gone AS (DELETE FROM mp_jobs WHERE queue = \(queue)
                          AND ((state IN ('finished', 'cancelled') AND finished_at < now() - \(seconds) * interval '1 second')
                               OR (state = 'loading' AND stored_at < now() - \(abandonedAfterSeconds) * interval '1 second'))
                          RETURNING 1)
            SELECT count(*) FROM gone
            """).decode(Int.self) {
            removed = count
        }
        try await database.execute("""
            DELETE FROM mp_hosts WHERE queue = \(queue) AND seen_at < now() - \(max(seconds, 3600)) * interval '1 second'
            """)
        return removed
    }
}
#endif  // Postgres
