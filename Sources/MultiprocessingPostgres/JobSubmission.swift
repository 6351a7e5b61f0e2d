#if Postgres
import Foundation
import Multiprocessing
import PostgresNIO

/// A job on its way into the queue, stored in steps that are each bounded and safe to try
/// again, so that a job of any size rides out outages (one try of an operation is bounded in
/// time, see ``QueueDatabase/retryingThroughOutages(_:tolerance:_:)``):
///
/// 1. its row, in state `loading`, carrying a token of its own (`mp_jobs.submission`, unique):
///    a try first looks for the row an earlier try may have committed before its reply was lost;
/// 2. its tasks, in pieces of ``pieceRows`` rows or ``pieceBytes`` bytes, each one statement
///    that skips the rows an earlier try stored (`ON CONFLICT DO NOTHING` on the primary key);
/// 3. its opening: `loading` becomes `running` with the job's total, and hosts are told.
///
/// Hosts claim the tasks of `running` jobs only, so a half-stored job is never run. A
/// submission that fails half-way removes its job; one whose submitter went away is removed by
/// retention (``Retention/abandonedAfterSeconds``).
struct JobSubmission: Sendable {
    var queue: String
    var buildIdentity: String
    var typeName: String
    var jobName: String
    var outputType: String
    var jobBlob: ByteBuffer
    var maxAttempts: Int32
    var timeoutMS: Int64?
    var priority: Int32
    var maxRunning: Int32?
    /// Unique, and says who submitted (`machine/pid/uuid`): the dashboard shows the submitter.
    let token = "\(HostLoop.nodeName())/\(getpid())/\(UUID().uuidString)"

    /// The submitter (`machine/pid`) a token names; nil for a token of a build that stored a bare UUID.
    static func submitter(of token: String) -> String? {
        let parts = token.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        return parts.dropLast().joined(separator: "/")
    }

    /// The most rows one piece of tasks has.
    static let pieceRows = 5_000
    /// The most input bytes one piece has (a piece has one row at least).
    static let pieceBytes = 4 << 20

    /// The job's id: its row stored now, in state `loading`, or found stored by an earlier try.
    func storeJob(in database: QueueDatabase) async throws -> Int64 {
        if let stored = try await storedJob(in: database) { return stored }
        do {
            for try await id in try await database.execute("""
                INSERT INTO mp_jobs (queue, build_id, job_type, job_name, output_type, job_blob, total, max_attempts,
                                     timeout_ms, priority, max_running, submission, state, stored_at)
                VALUES (\(queue), \(buildIdentity), \(typeName), \(jobName), \(outputType), \(jobBlob),
                        0, \(maxAttempts), \(timeoutMS), \(priority), \(maxRunning), \(token), 'loading', now())
                RETURNING id
                """).decode(Int64.self) {
                return id
            }
        } catch where Outage.sqlState(of: error) == "23505" {
            // An earlier try committed after all, while this one ran.
            if let stored = try await storedJob(in: database) { return stored }
            throw error
        }
        throw DistributedPoolError.databaseUnavailable("\(database.endpoint) stored the job but returned no id")
    }

    private func storedJob(in database: QueueDatabase) async throws -> Int64? {
        for try await id in try await database.execute("SELECT id FROM mp_jobs WHERE submission = \(token)").decode(Int64.self) {
            return id
        }
        return nil
    }

    /// Stores `inputs` as the tasks from index `first` on, in one statement: rows an earlier
    /// try stored are skipped (one that is still running is waited for by the unique key, so
    /// when this returns every row of the piece is stored). Throws if the job is no longer
    /// loading (cancelled, or removed).
    func storePiece(jobID: Int64, first: Int, inputs: [ByteBuffer], in database: QueueDatabase) async throws {
        let indices = (first..<first + inputs.count).map { Int32($0) }
        // Every data-modifying part of a WITH runs, read or not; the tasks only if the job still loads.
        let state = try await jobState(database, """
            WITH job AS (UPDATE mp_jobs SET stored_at = now() WHERE id = \(jobID) AND state = 'loading' RETURNING id),
                 stored AS (INSERT INTO mp_tasks (job_id, idx, queue, input)
                            SELECT job.id, u.i, \(queue), u.b FROM job, unnest(\(indices)::int4[], \(inputs)::bytea[]) AS u(i, b)
                            ON CONFLICT (job_id, idx) DO NOTHING)
            SELECT coalesce((SELECT 'loading'::text FROM job), (SELECT state FROM mp_jobs WHERE id = \(jobID)))
            """)
        guard state == "loading" else { throw stopped(jobID, state: state) }
    }

    /// Opens the job with `total` tasks: hosts may claim them from now on, and are told.
    /// Safe to try again (a job an earlier try opened stays open).
    func open(jobID: Int64, total: Int, in database: QueueDatabase) async throws {
        var state: String?
        for try await (_, found) in try await database.execute("""
            WITH opened AS (UPDATE mp_jobs SET state = 'running', total = \(Int32(total)), stored_at = now()
                            WHERE id = \(jobID) AND state = 'loading' RETURNING id)
            SELECT (SELECT count(pg_notify('mp_tasks', \(queue))) FROM opened),
                   coalesce((SELECT 'running'::text FROM opened), (SELECT state FROM mp_jobs WHERE id = \(jobID)))
            """).decode((Int, String?).self) {
            state = found
        }
        guard state == "running" || state == "finished" else { throw stopped(jobID, state: state) }
    }

    /// Removes the job of a submission that failed half-way (its tasks go with it).
    func remove(jobID: Int64, in database: QueueDatabase) async throws {
        try await database.execute("DELETE FROM mp_jobs WHERE id = \(jobID) AND state = 'loading'")
    }

    private func jobState(_ database: QueueDatabase, _ query: PostgresQuery) async throws -> String? {
        for try await state in try await database.execute(query).decode(String?.self) { return state }
        return nil
    }

    private func stopped(_ jobID: Int64, state: String?) -> any Error {
        state == "cancelled" ? JobFailure(reason: .cancelled, jobType: jobName) : DistributedPoolError.unknownJob(jobID)
    }
}
#endif  // Postgres
