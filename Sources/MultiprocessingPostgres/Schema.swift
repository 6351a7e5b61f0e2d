#if Postgres
import PostgresNIO

/// The queue's tables, created and migrated by the library. Each migration is a list of
/// statements applied once, in order, inside one transaction that holds an advisory lock, so
/// that submitters and hosts starting together do not race. `mp_schema_version` records the
/// versions applied. docs/POSTGRES.md describes every column.
///
/// A program refuses a database migrated past the versions it knows
/// (``DistributedPoolError/schemaTooNew(found:supported:)``): a host or submitter of an older
/// build that is already connected goes on working through a later migration (each one here
/// only adds, with defaults, what older statements never name), but one started after it
/// refuses to serve, rather than guess what it does not know.
enum Schema {
    static let migrations: [[String]] = [
        // Version 1.
        [
            """
            CREATE TABLE mp_jobs (
                id bigserial PRIMARY KEY,
                queue text NOT NULL,
                build_id text NOT NULL,
                job_type text NOT NULL,
                job_name text NOT NULL,
                output_type text NOT NULL,
                job_blob bytea NOT NULL,
                total integer NOT NULL,
                max_attempts integer NOT NULL,
                timeout_ms bigint,
                state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'finished', 'cancelled')),
                created_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz
            )
            """,
            """
            CREATE TABLE mp_tasks (
                job_id bigint NOT NULL REFERENCES mp_jobs(id) ON DELETE CASCADE,
                idx integer NOT NULL,
                queue text NOT NULL,
                state text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'running', 'done', 'failed', 'dead', 'cancelled')),
                input bytea NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                host text,
                lease_until timestamptz,
                output bytea,
                error_type text,
                error text,
                causes text[] NOT NULL DEFAULT '{}',
                cause_hosts text[] NOT NULL DEFAULT '{}',
                duplicates integer NOT NULL DEFAULT 0,
                done_seq bigint,
                collected boolean NOT NULL DEFAULT false,
                PRIMARY KEY (job_id, idx)
            )
            """,
            "CREATE SEQUENCE mp_done_seq",
            "CREATE INDEX mp_tasks_claimable ON mp_tasks (queue, job_id, idx) WHERE state = 'pending'",
            "CREATE INDEX mp_tasks_leases ON mp_tasks (queue, lease_until) WHERE state = 'running'",
            "CREATE INDEX mp_tasks_uncollected ON mp_tasks (job_id) WHERE done_seq IS NOT NULL AND NOT collected",
            """
            CREATE TABLE mp_hosts (
                id text PRIMARY KEY,
                queue text NOT NULL,
                hostname text NOT NULL,
                pid integer NOT NULL,
                build_id text NOT NULL,
                workers integer NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                seen_at timestamptz NOT NULL DEFAULT now()
            )
            """,
        ],
        // Version 2: job priorities (higher first). Older builds' INSERTs store the default 0,
        // and their claims ignore the column.
        [
            "ALTER TABLE mp_jobs ADD COLUMN priority integer NOT NULL DEFAULT 0",
        ],
        // Version 3: a limit on a job's running tasks (NULL: none; older builds' jobs have none,
        // and their hosts never claim this build's jobs), and the submitter's token that makes
        // a retried `start` idempotent.
        [
            "ALTER TABLE mp_jobs ADD COLUMN max_running integer",
            "ALTER TABLE mp_jobs ADD COLUMN submission text",
            "CREATE UNIQUE INDEX mp_jobs_submission ON mp_jobs (submission) WHERE submission IS NOT NULL",
            "CREATE INDEX mp_tasks_running ON mp_tasks (job_id) WHERE state = 'running'",
        ],
        // Version 4: jobs stored in pieces (see JobSubmission). A job is `loading` until all of
        // its tasks are stored (every build's claims take only `running` jobs' tasks, so none
        // runs a half-stored job), with when its last piece was stored, for retention to remove
        // one whose submitter went away. Uncollected results by their completion order, which
        // collectors read a page at a time (the index replaces the one on job_id alone).
        [
            "ALTER TABLE mp_jobs DROP CONSTRAINT mp_jobs_state_check",
            "ALTER TABLE mp_jobs ADD CONSTRAINT mp_jobs_state_check CHECK (state IN ('loading', 'running', 'finished', 'cancelled'))",
            "ALTER TABLE mp_jobs ADD COLUMN stored_at timestamptz",
            "CREATE INDEX mp_tasks_uncollected_seq ON mp_tasks (job_id, done_seq) WHERE done_seq IS NOT NULL AND NOT collected",
            "DROP INDEX mp_tasks_uncollected",
        ],
        // Version 5: when each task was last queued, claimed and ended (the dashboard's latency
        // chart), set by the statements that change its state (a trigger cost those statements
        // a fifth more: Benchmarks/dashboard/trigger-cost.sh). Rows stored before it keep NULL;
        // older builds' hosts leave them as they were, and rows whose times are out of order
        // are left out of the chart.
        [
            "ALTER TABLE mp_tasks ADD COLUMN queued_at timestamptz, ADD COLUMN claimed_at timestamptz, ADD COLUMN ended_at timestamptz",
            "ALTER TABLE mp_tasks ALTER COLUMN queued_at SET DEFAULT now()",
        ],
    ]

    static var currentVersion: Int { migrations.count }

    /// Brings the database to ``currentVersion``, the first contact with it: it fails with
    /// ``DistributedPoolError/cannotConnect(_:)`` if no connection comes within `timeout` (the
    /// client would otherwise try again for ever). Refuses a database migrated by a newer build.
    static func migrate(_ database: QueueDatabase, settings: PostgresConnectionSettings, timeout: Duration) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await migrate(database)
                return true
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            let migrated = try await group.next() ?? false
            group.cancelAll()
            guard migrated else {
                throw DistributedPoolError.cannotConnect("no connection to \(settings) within \(timeout): check the "
                    + "address, the credentials, that the server runs, and TLS (sslmode, sslrootcert)")
            }
        }
    }

    private static func migrate(_ database: QueueDatabase) async throws {
        await database.waitUntilRunning()
        try await database.client.withTransaction(logger: database.logger) { connection in
            // "mpschema" as a number: one lock for every program that migrates this database.
            try await connection.query("SELECT pg_advisory_xact_lock(7020098714981263717)", logger: database.logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS mp_schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                logger: database.logger)
            var found = 0
            for try await version in try await connection.query(
                "SELECT coalesce(max(version), 0) FROM mp_schema_version", logger: database.logger
            ).decode(Int.self) {
                found = version
            }
            if found > currentVersion { throw DistributedPoolError.schemaTooNew(found: found, supported: currentVersion) }
            for version in found..<currentVersion {
                for statement in migrations[version] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: database.logger)
                }
                try await connection.query("INSERT INTO mp_schema_version (version) VALUES (\(version + 1))",
                                           logger: database.logger)
                database.logger.info("queue schema migrated to version \(version + 1)")
            }
        }
    }
}
#endif  // Postgres
