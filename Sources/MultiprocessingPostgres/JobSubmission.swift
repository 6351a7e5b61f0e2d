import Foundation
import PostgresNIO

/// A job on its way into the queue, stored so that trying again is safe: it carries a token
/// of its own (`mp_jobs.submission`, unique), and a try first looks for the row an earlier try
/// may have committed before its reply was lost.
struct JobSubmission: Sendable {
    var queue: String
    var buildIdentity: String
    var typeName: String
    var jobName: String
    var outputType: String
    var jobBlob: ByteBuffer
    var inputs: [ByteBuffer]
    var maxAttempts: Int32
    var timeoutMS: Int64?
    var priority: Int32
    var maxRunning: Int32?
    let token = UUID().uuidString

    /// The job's id: stored now, or found stored by an earlier try.
    func store(in database: QueueDatabase) async throws -> Int64 {
        if let stored = try await storedJob(in: database) { return stored }
        do {
            return try await database.client.withTransaction(logger: database.logger) { connection in
                try await insert(on: connection, logger: database.logger)
            }
        } catch where Outage.sqlState(of: error) == "23505" {
            // An earlier try committed after all, while this one ran.
            if let stored = try await storedJob(in: database) { return stored }
            throw error
        }
    }

    private func storedJob(in database: QueueDatabase) async throws -> Int64? {
        for try await id in try await database.execute("SELECT id FROM mp_jobs WHERE submission = \(token)").decode(Int64.self) {
            return id
        }
        return nil
    }

    /// One transaction: a job is in the queue with all its tasks or not at all (a submitter that
    /// dies half-way must not leave a job that can never finish).
    private func insert(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        var jobID: Int64 = 0
        for try await id in try await connection.query("""
            INSERT INTO mp_jobs (queue, build_id, job_type, job_name, output_type, job_blob, total, max_attempts,
                                 timeout_ms, priority, max_running, submission)
            VALUES (\(queue), \(buildIdentity), \(typeName), \(jobName), \(outputType), \(jobBlob),
                    \(Int32(inputs.count)), \(maxAttempts), \(timeoutMS), \(priority), \(maxRunning), \(token))
            RETURNING id
            """, logger: logger).decode(Int64.self) {
            jobID = id
        }
        var start = 0
        repeat {
            let end = min(start + 5_000, inputs.count)
            let indices = (start..<end).map { Int32($0) }
            let batch = Array(inputs[start..<end])
            try await connection.query("""
                INSERT INTO mp_tasks (job_id, idx, queue, input)
                SELECT \(jobID), u.i, \(queue), u.b FROM unnest(\(indices)::int4[], \(batch)::bytea[]) AS u(i, b)
                """, logger: logger)
            start = end
        } while start < inputs.count
        // Delivered when the transaction commits.
        try await connection.query("SELECT pg_notify('mp_tasks', \(queue))", logger: logger)
        return jobID
    }
}
