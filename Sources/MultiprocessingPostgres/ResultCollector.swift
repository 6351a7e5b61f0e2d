import Multiprocessing
import PostgresNIO

/// Collects a job's finished tasks, a page at a time, so that neither its memory nor one of its
/// statements grows with the job (each statement is a try of its own through outages, and a
/// try is bounded in time).
///
/// A page is read, delivered, and only then marked `collected`, so that no row is missed
/// whatever order the hosts' transactions commit in (a high-water mark on the completion
/// sequence would skip a row whose transaction committed late), and whatever an outage cut:
/// reading changes nothing, and a page whose marking was lost is read again and skipped.
struct ResultCollector {
    let pool: DistributedProcessPool
    let jobID: Int64
    let total: Int

    /// The most rows one statement reads (each at most `maxPayloadBytes` of output).
    static let pageRows = 2_000

    func run(_ deliver: (FinishedTaskRow) -> Void) async throws {
        let bell = Doorbell()
        let key = String(jobID)
        pool.resultBells.register(bell, for: key)
        defer { pool.resultBells.unregister(bell, for: key) }
        var seen = [Bool](repeating: false, count: total)
        var count = 0
        func take(_ rows: [FinishedTaskRow]) {
            for row in rows where row.index >= 0 && row.index < total && !seen[row.index] {
                seen[row.index] = true
                count += 1
                deliver(row)
            }
        }
        // What an earlier collector (a submitter that crashed) already took, by index.
        var after = -1
        while true {
            let page = try await readPage("the collected results of job \(jobID)", """
                SELECT \(unescaped: FinishedTaskRow.columns) FROM mp_tasks
                WHERE job_id = \(jobID) AND collected AND idx > \(Int32(after)) ORDER BY idx LIMIT \(Int32(Self.pageRows))
                """)
            take(page)
            guard page.count == Self.pageRows, let last = page.last else { break }
            after = last.index
        }
        while count < total {
            try Task.checkCancellation()
            let page = try await readPage("collecting the results of job \(jobID)", """
                SELECT \(unescaped: FinishedTaskRow.columns) FROM mp_tasks
                WHERE job_id = \(jobID) AND done_seq IS NOT NULL AND NOT collected ORDER BY done_seq LIMIT \(Int32(Self.pageRows))
                """)
            take(page)
            if !page.isEmpty {
                try await markCollected(page.map { Int32($0.index) })
            } else if count < total {
                if try await isCancelled() {
                    throw JobFailure(reason: .cancelled, jobType: "job \(jobID)")
                }
                await bell.wait(upTo: pool.options.pollInterval)
            }
        }
        let (database, jobID) = (pool.database, jobID)
        _ = try await database.retryingThroughOutages("marking job \(jobID) finished", tolerance: pool.options.outageTolerance) {
            try await database.execute(
                "UPDATE mp_jobs SET state = 'finished', finished_at = now() WHERE id = \(jobID) AND state = 'running'"
            ).collect().count
        }
    }

    private func readPage(_ operation: String, _ query: PostgresQuery) async throws -> [FinishedTaskRow] {
        let database = pool.database
        return try await database.retryingThroughOutages(operation, tolerance: pool.options.outageTolerance) {
            var rows: [FinishedTaskRow] = []
            for try await columns in try await database.execute(query).decode(FinishedTaskRow.Columns.self) {
                rows.append(FinishedTaskRow(columns))
            }
            return rows
        }
    }

    /// Marks delivered rows collected: later pages skip them, and a collector attaching
    /// again reads them among those already taken.
    private func markCollected(_ indices: [Int32]) async throws {
        let (database, jobID) = (pool.database, jobID)
        _ = try await database.retryingThroughOutages("collecting the results of job \(jobID)",
                                                      tolerance: pool.options.outageTolerance) {
            try await database.execute("""
                UPDATE mp_tasks SET collected = true WHERE job_id = \(jobID) AND idx = ANY(\(indices)::int4[]) AND NOT collected
                """).collect().count
        }
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
