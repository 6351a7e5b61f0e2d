#if Postgres
import Multiprocessing
import PostgresNIO

/// Collects a job's finished tasks, a page at a time and only as fast as its reader takes them,
/// so that neither its memory nor one of its statements grows with the job (each statement is a
/// try of its own through outages, and a try is bounded in time). A reader that pauses holds
/// at most one page of results: the next page is read only once the last one is taken.
///
/// A page is read, taken by the reader, and only then marked `collected`, so that no row is
/// missed whatever order the hosts' transactions commit in (a high-water mark on the
/// completion sequence would skip a row whose transaction committed late), and whatever an
/// outage cut: reading changes nothing, and a page whose marking was lost is read again and
/// skipped.
///
/// One reader calls ``next()`` at a time (an iterator's rule): the actor orders the calls,
/// and a second concurrent call would share the page.
actor ResultCollector {
    let pool: DistributedProcessPool
    let jobID: Int64
    let total: Int

    /// The most rows one statement reads (each at most `maxPayloadBytes` of output), and so
    /// the most results a reader that pauses leaves in memory.
    static let pageRows = 2_000

    private enum Phase {
        /// Re-reading what an earlier collector (a submitter that crashed) already took, by index.
        case earlier(after: Int)
        /// Reading what no collector took yet, in completion order.
        case fresh
        case finished
    }

    private var phase = Phase.earlier(after: -1)
    private var page: [FinishedTaskRow] = []
    private var position = 0
    /// The fresh page being taken: marked collected once all of it is taken.
    private var untilMarked: [Int32] = []
    private var seen: [Bool]
    private var count = 0
    private let bell = Doorbell()

    init(pool: DistributedProcessPool, jobID: Int64, total: Int) {
        self.pool = pool
        self.jobID = jobID
        self.total = total
        seen = [Bool](repeating: false, count: total)
        pool.resultBells.register(bell, for: String(jobID))
    }

    deinit {
        pool.resultBells.unregister(bell, for: String(jobID))
    }

    /// The next task's outcome not taken yet; nil once every task's was.
    func next() async throws -> FinishedTaskRow? {
        while true {
            while position < page.count {
                let row = page[position]
                position += 1
                if row.index >= 0 && row.index < total && !seen[row.index] {
                    seen[row.index] = true
                    count += 1
                    return row
                }
            }
            switch phase {
            case let .earlier(after):
                page = try await readPage("the collected results of job \(jobID)", """
                    SELECT \(unescaped: FinishedTaskRow.columns) FROM mp_tasks
                    WHERE job_id = \(jobID) AND collected AND idx > \(Int32(after)) ORDER BY idx LIMIT \(Int32(Self.pageRows))
                    """)
                position = 0
                if page.count == Self.pageRows, let last = page.last {
                    phase = .earlier(after: last.index)
                } else {
                    phase = .fresh
                }
            case .fresh:
                if !untilMarked.isEmpty {
                    try await markCollected(untilMarked)
                    untilMarked = []
                }
                if count >= total {
                    try await markFinished()
                    phase = .finished
                    return nil
                }
                try Task.checkCancellation()
                page = try await readPage("collecting the results of job \(jobID)", """
                    SELECT \(unescaped: FinishedTaskRow.columns) FROM mp_tasks
                    WHERE job_id = \(jobID) AND done_seq IS NOT NULL AND NOT collected ORDER BY done_seq LIMIT \(Int32(Self.pageRows))
                    """)
                position = 0
                untilMarked = page.map { Int32($0.index) }
                if page.isEmpty {
                    if try await isCancelled() {
                        throw JobFailure(reason: .cancelled, jobType: "job \(jobID)")
                    }
                    await bell.wait(upTo: pool.options.pollInterval)
                }
            case .finished:
                return nil
            }
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

    /// Marks taken rows collected: later pages skip them, and a collector attaching
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

    private func markFinished() async throws {
        let (database, jobID) = (pool.database, jobID)
        _ = try await database.retryingThroughOutages("marking job \(jobID) finished", tolerance: pool.options.outageTolerance) {
            try await database.execute(
                "UPDATE mp_jobs SET state = 'finished', finished_at = now() WHERE id = \(jobID) AND state = 'running'"
            ).collect().count
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
#endif  // Postgres
