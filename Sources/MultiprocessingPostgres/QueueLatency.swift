#if Postgres
import PostgresNIO

/// A minute of a queue's latency: of the tasks that ended in it (done, failed or dead), how
/// long they were held and how long they waited, as medians and 95th percentiles
/// (`percentile_cont`, interpolated). Read by ``DistributedProcessPool/latency()``.
public struct LatencyMinute: Sendable, Codable, Equatable {
    /// The minute's start, in seconds since 1970 (the database server's clock).
    public var minute: Double
    /// Tasks that ended in it.
    public var tasks: Int
    /// The median of the seconds from a task's claim to its outcome being stored: its run,
    /// with its time in its host's local queue (a host claims a few more tasks than it has free
    /// workers) and the write-back.
    public var runP50: Double
    /// The 95th percentile of those seconds.
    public var runP95: Double
    /// The median of the seconds from a task's being queued (its job stored, or the task
    /// handed back or retried) to the claim of the attempt that ended.
    public var waitP50: Double
    /// The 95th percentile of those seconds.
    public var waitP95: Double
}

extension DistributedProcessPool {
    /// The queue's latency per minute over the last hour, the oldest minute first (minutes in
    /// which no task ended are left out), and the database server's time of the reading, in
    /// seconds since 1970. Tasks stored before schema version 5 have no times, and those last
    /// claimed or ended by a host of an older build have times out of order: they are left out.
    ///
    /// It reads the tasks of the jobs open or ended in the last hour (their primary key), not
    /// an index of end times, which every write-back would have to update.
    public func latency() async throws -> (minutes: [LatencyMinute], now: Double) {
        let (database, queue) = (database, queue)
        return try await database.retryingThroughOutages("reading the latency of queue \(queue)",
                                                         tolerance: options.outageTolerance) {
            var minutes: [LatencyMinute] = []
            var now = 0.0
            for try await (minute, tasks, run, wait, read) in try await database.execute("""
                WITH j AS (SELECT id, stored_at FROM mp_jobs WHERE queue = \(queue)
                             AND coalesce(finished_at, now()) > now() - interval '1 hour'),
                t AS (SELECT date_trunc('minute', t.ended_at) AS minute,
                             extract(epoch FROM t.ended_at - t.claimed_at)::float8 AS run,
                             extract(epoch FROM t.claimed_at - greatest(t.queued_at, j.stored_at))::float8 AS wait
                      FROM j JOIN mp_tasks t ON t.job_id = j.id
                      WHERE t.state IN ('done', 'failed', 'dead') AND t.ended_at > now() - interval '1 hour'
                        -- Times out of order were left by a host of a build before version 5.
                        AND t.claimed_at >= greatest(t.queued_at, j.stored_at) AND t.ended_at >= t.claimed_at)
                SELECT extract(epoch FROM minute)::float8, count(*)::int8,
                       percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY run),
                       percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY wait),
                       extract(epoch FROM now())::float8
                FROM t GROUP BY minute ORDER BY minute
                """).decode((Double, Int64, [Double], [Double], Double).self) {
                now = read
                minutes.append(LatencyMinute(minute: minute, tasks: Int(tasks), runP50: run[0], runP95: run[1],
                                             waitP50: wait[0], waitP95: wait[1]))
            }
            if minutes.isEmpty {
                for try await read in try await database.execute("SELECT extract(epoch FROM now())::float8").decode(Double.self) {
                    now = read
                }
            }
            return (minutes, now)
        }
    }
}
#endif  // Postgres
