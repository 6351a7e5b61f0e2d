import PostgresNIO

/// Removal of finished jobs, and of hosts long gone.
enum Retention {
    static func removeFinishedJobs(_ database: QueueDatabase, queue: String, olderThan age: Duration) async throws -> Int {
        let seconds = Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18
        var removed = 0
        for try await count in try await database.execute("""
            WITH gone AS (DELETE FROM mp_jobs WHERE queue = \(queue) AND state IN ('finished', 'cancelled')
                          AND finished_at < now() - \(seconds) * interval '1 second' RETURNING 1)
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
