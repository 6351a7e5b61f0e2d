#if Postgres
import PostgresNIO

/// A side table, filled by a trigger on `mp_tasks`, with one row each time a chaos queue's task
/// gets a result recorded (a final state with a new completion sequence number): a task with
/// two rows had its result recorded twice. (The library's own `duplicates` column counts the
/// duplicate results it discarded, which execution at least once allows; this counts those it
/// did not.) Only queues named `chaos-…` are watched.
enum ChaosRecorder {
    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS mp_chaos_recorded (
            job_id bigint NOT NULL, idx integer NOT NULL, state text NOT NULL, done_seq bigint NOT NULL,
            host text, at timestamptz NOT NULL DEFAULT clock_timestamp())
        """,
        "CREATE INDEX IF NOT EXISTS mp_chaos_recorded_job ON mp_chaos_recorded (job_id)",
        """
        CREATE OR REPLACE FUNCTION mp_chaos_record() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO mp_chaos_recorded (job_id, idx, state, done_seq, host)
            VALUES (NEW.job_id, NEW.idx, NEW.state, NEW.done_seq, NEW.host);
            RETURN NULL;
        END $$
        """,
        "DROP TRIGGER IF EXISTS mp_chaos_record ON mp_tasks",
        """
        CREATE TRIGGER mp_chaos_record AFTER UPDATE ON mp_tasks FOR EACH ROW
        WHEN (NEW.queue LIKE 'chaos-%' AND NEW.done_seq IS NOT NULL AND NEW.done_seq IS DISTINCT FROM OLD.done_seq)
        EXECUTE FUNCTION mp_chaos_record()
        """,
    ]

    static let removal = [
        "DROP TRIGGER IF EXISTS mp_chaos_record ON mp_tasks",
        "DROP FUNCTION IF EXISTS mp_chaos_record()",
        "DROP TABLE IF EXISTS mp_chaos_recorded",
    ]

    /// Installs the trigger (again: the statements are idempotent), in one transaction.
    static func install(_ client: PostgresClient) async throws {
        try await client.withTransaction(logger: ChaosRunner.silent) { connection in
            // One lock for every runner installing it at once.
            try await connection.query("SELECT pg_advisory_xact_lock(7020098714981263718)", logger: ChaosRunner.silent)
            for statement in statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: ChaosRunner.silent)
            }
        }
    }

    static func remove(_ client: PostgresClient) async throws {
        for statement in removal {
            try await client.query(PostgresQuery(unsafeSQL: statement), logger: ChaosRunner.silent)
        }
    }

    /// Results recorded beyond each task's first, for a job.
    static func duplicates(_ client: PostgresClient, jobID: Int64) async throws -> Int {
        try await ChaosRunner.number(client, "SELECT count(*) - count(DISTINCT idx) FROM mp_chaos_recorded WHERE job_id = \(jobID)")
    }
}
#endif  // Postgres
