#if Postgres
import PostgresNIO

// What an operator does to a queue from outside its programs (`mp-postgres dashboard`'s actions):
// run a dead letter again, drain a host.
extension DistributedProcessPool {
    /// Runs a dead-lettered task of this queue again, with a full set of attempts; the causes of
    /// its earlier attempts stay on it. Its job, if it had finished, is open again until the
    /// task ends (a collector that already took the dead letter keeps that outcome; one that
    /// attaches later gets the new one). Returns false if this queue has no such dead task, or
    /// its job was cancelled.
    @discardableResult
    public func retryDeadTask(jobID: Int64, index: Int) async throws -> Bool {
        let (database, queue) = (database, queue)
        let retried = try await database.retryingThroughOutages("retrying task \(index) of job \(jobID)",
                                                                tolerance: options.outageTolerance) {
            var count = 0
            for try await (tasks, _) in try await database.execute("""
                WITH t AS (
                    UPDATE mp_tasks t SET state = 'pending', attempts = 0, host = NULL, lease_until = NULL,
                           output = NULL, error_type = NULL, error = NULL, done_seq = NULL, collected = false,
                           queued_at = now()
                    FROM mp_jobs j
                    WHERE t.job_id = \(jobID) AND t.idx = \(Int32(clamping: index)) AND t.queue = \(queue) AND t.state = 'dead'
                      AND j.id = t.job_id AND j.state IN ('running', 'finished')
                    RETURNING t.job_id),
                j AS (UPDATE mp_jobs SET state = 'running', finished_at = NULL
                      WHERE id IN (SELECT job_id FROM t) AND state = 'finished' RETURNING 1)
                SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM j)
                """).decode((Int, Int).self) {
                count = tasks
            }
            return count
        }
        guard retried > 0 else { return false }
        // Hosts waiting for work hear of it at once (others find it at their next poll).
        _ = try? await database.execute("SELECT pg_notify('mp_tasks', \(queue))").collect()
        database.logger.info("dead task retried", metadata: ["job": "\(jobID)", "task": "\(index)"])
        return true
    }

    /// Asks a worker host of this queue to drain, as SIGTERM does: it claims nothing more,
    /// finishes and writes back what it holds, and exits. (Every worker host of that host's
    /// process drains: ``WorkerHost/drain()``.) Returns false if the queue has no such host; a
    /// host not listening at that moment (its connection lost) does not hear it.
    @discardableResult
    public func drainHost(id: String) async throws -> Bool {
        let (database, queue) = (database, queue)
        return try await database.retryingThroughOutages("draining host \(id)", tolerance: options.outageTolerance) {
            var known = false
            for try await found in try await database.execute("""
                SELECT count(pg_notify('mp_cancel', \(HostLoop.drainPayload(id)))) > 0 FROM mp_hosts WHERE id = \(id) AND queue = \(queue)
                """).decode(Bool.self) {
                known = found
            }
            return known
        }
    }
}
#endif  // Postgres
