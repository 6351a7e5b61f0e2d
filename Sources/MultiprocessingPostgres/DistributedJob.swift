#if Postgres
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
    ///
    /// Results are read from the database as the loop takes them, a page at a time: a reader
    /// that pauses holds at most one page (2,000 results), whatever the job's size, and leaving
    /// the loop stops the reading.
    public func outcomes() -> AsyncThrowingStream<TaskOutcome<Output>, any Error> {
        let jobName = jobName
        let collector = ResultCollector(pool: pool, jobID: id, total: total)
        return AsyncThrowingStream {
            try await collector.next().map { row in
                TaskOutcome(index: row.index, result: row.result(as: Output.self, jobName: jobName))
            }
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
#endif  // Postgres
