#if Postgres
import PostgresNIO

/// A broken write-back, on purpose (``ChaosRunner/Options/dropsOneOutcome``): a trigger skips
/// every update that would give one task of one queue a final state, so that the task's outcome
/// is never recorded and never arrives. A round with it must report that task lost: the checks
/// can see a loss.
enum ChaosSabotage {
    static func name(_ queue: String) -> String {
        "mp_chaos_drop_" + String(queue.unicodeScalars.map { $0.properties.isAlphabetic || ("0"..."9").contains($0) ? Character($0) : "_" })
    }

    static func install(_ client: PostgresClient, queue: String, index: Int) async throws {
        let name = name(queue)
        // The queue's name is the runner's own ("chaos-<fault>-<hex>"): no quote can be in it.
        for statement in [
            """
            CREATE OR REPLACE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER \(name) BEFORE UPDATE ON mp_tasks FOR EACH ROW
            WHEN (NEW.queue = '\(queue)' AND NEW.idx = \(index) AND NEW.state IN ('done', 'failed', 'dead'))
            EXECUTE FUNCTION \(name)()
            """,
        ] {
            try await client.query(PostgresQuery(unsafeSQL: statement), logger: ChaosRunner.silent)
        }
    }

    static func remove(_ client: PostgresClient, queue: String) async throws {
        let name = name(queue)
        try await client.query(PostgresQuery(unsafeSQL: "DROP TRIGGER IF EXISTS \(name) ON mp_tasks"), logger: ChaosRunner.silent)
        try await client.query(PostgresQuery(unsafeSQL: "DROP FUNCTION IF EXISTS \(name)()"), logger: ChaosRunner.silent)
    }
}
#endif  // Postgres
