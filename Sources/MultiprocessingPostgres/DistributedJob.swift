import Multiprocessing
import PostgresNIO
import Synchronization

/// A job in a distributed pool's queue: its id, and its tasks' outcomes as hosts finish them.
public struct DistributedJob<Output: Codable & Sendable>: Sendable {
    /// The job's id in the queue: another process can ``DistributedProcessPool/attach(jobID:outputType:)`` to it.
    public let id: Int64
    /// How many tasks (inputs) it has.
    public let total: Int
    let jobName: String
    let pool: DistributedProcessPool

    /// Every task's outcome, in the order they finished, from the first; ends after the last.
    /// One collector per job at a time: a second one running at once would miss outcomes.
    /// Throws `JobFailure` with reason `cancelled` if the job is cancelled.
    public func outcomes() -> AsyncThrowingStream<TaskOutcome<Output>, any Error> {
        let (id, total, jobName, pool) = (id, total, jobName, pool)
        return AsyncThrowingStream { continuation in
            let collector = Task {
                do {
                    try await ResultCollector(pool: pool, jobID: id, total: total).run { row in
                        continuation.yield(TaskOutcome(index: row.index, result: row.result(as: Output.self, jobName: jobName)))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in collector.cancel() }
        }
    }

    /// Waits for every task and returns their results in input order.
    public func results() async throws -> [Result<Output, JobFailure>] {
        var results = [Result<Output, JobFailure>?](repeating: nil, count: total)
        for try await outcome in outcomes() { results[outcome.index] = outcome.result }
        try Task.checkCancellation()
        return results.enumerated().map { index, result in
            result ?? .failure(JobFailure(reason: .cancelled, jobType: jobName, index: index))
        }
    }

    /// Cancels the job (see ``DistributedProcessPool/cancel(jobID:)``).
    public func cancel() async throws {
        try await pool.cancel(jobID: id)
    }
}

/// Collects a job's finished tasks: each row is marked collected as it is read, so that none
/// is missed whatever order the hosts' transactions commit in (a high-water mark on the
/// completion sequence would skip a row whose transaction committed late).
struct ResultCollector {
    let pool: DistributedProcessPool
    let jobID: Int64
    let total: Int

    func run(_ deliver: (FinishedTaskRow) -> Void) async throws {
        let bell = Doorbell()
        let key = String(jobID)
        pool.resultBells.register(bell, for: key)
        defer { pool.resultBells.unregister(bell, for: key) }
        var seen = [Bool](repeating: false, count: total)
        var count = 0
        // What an earlier collector (a submitter that crashed) already took.
        var rows = try await collect(alreadyCollected: true)
        while count < total {
            try Task.checkCancellation()
            rows += try await collect(alreadyCollected: false)
            rows.sort { $0.doneSeq < $1.doneSeq }
            for row in rows where row.index >= 0 && row.index < total && !seen[row.index] {
                seen[row.index] = true
                count += 1
                deliver(row)
            }
            if rows.isEmpty && count < total {
                if try await isCancelled() {
                    throw JobFailure(reason: .cancelled, jobType: "job \(jobID)")
                }
                await bell.wait(upTo: pool.options.pollInterval)
            }
            rows = []
        }
        let (database, jobID) = (pool.database, jobID)
        _ = try await database.retryingThroughOutages("marking job \(jobID) finished", tolerance: pool.options.outageTolerance) {
            try await database.execute(
                "UPDATE mp_jobs SET state = 'finished', finished_at = now() WHERE id = \(jobID) AND state = 'running'"
            ).collect().count
        }
    }

    /// Finished rows not yet collected, marked collected as they are read (or, with
    /// `alreadyCollected`, those an earlier collector took). Rides out outages: a try whose
    /// reply was lost may have marked rows collected that never arrived, so each try after the
    /// first reads the collected rows again too (the caller skips those it has).
    private func collect(alreadyCollected: Bool) async throws -> [FinishedTaskRow] {
        let (database, jobID) = (pool.database, jobID)
        let tries = Mutex(0)
        return try await database.retryingThroughOutages("collecting the results of job \(jobID)",
                                                         tolerance: pool.options.outageTolerance) {
            let again = tries.withLock { tries in
                defer { tries += 1 }
                return tries > 0
            }
            var rows: [FinishedTaskRow] = []
            if alreadyCollected || again {
                rows += try await Self.fetch(database, """
                    SELECT \(unescaped: FinishedTaskRow.columns) FROM mp_tasks WHERE job_id = \(jobID) AND collected
                    """)
            }
            if !alreadyCollected {
                rows += try await Self.fetch(database, """
                    UPDATE mp_tasks SET collected = true
                    WHERE job_id = \(jobID) AND done_seq IS NOT NULL AND NOT collected
                    RETURNING \(unescaped: FinishedTaskRow.columns)
                    """)
            }
            return rows
        }
    }

    private static func fetch(_ database: QueueDatabase, _ query: PostgresQuery) async throws -> [FinishedTaskRow] {
        var rows: [FinishedTaskRow] = []
        for try await columns in try await database.execute(query).decode(FinishedTaskRow.Columns.self) {
            rows.append(FinishedTaskRow(columns))
        }
        return rows
    }

    private func isCancelled() async throws -> Bool {
        let (database, jobID) = (pool.database, jobID)
        let state = try await database.retryingThroughOutages("reading the state of job \(jobID)",
                                                              tolerance: pool.options.outageTolerance) {
            for try await state in try await database.execute("SELECT state FROM mp_jobs WHERE id = \(jobID)").decode(String.self) {
                return Optional(state)
            }
            return String?.none
        }
        guard let state else { throw DistributedPoolError.unknownJob(jobID) }
        return state == "cancelled"
    }
}
