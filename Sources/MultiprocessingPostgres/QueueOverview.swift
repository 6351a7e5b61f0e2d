#if Postgres
import Foundation
import PostgresNIO

/// What a dashboard shows of a queue beyond ``QueueStatus``: its hosts with their builds and
/// workers, its recent jobs with their progress, and its dead letters with every attempt's cause.
/// Read by ``DistributedProcessPool/overview(jobLimit:deadLetterLimit:)``.
public struct QueueOverview: Sendable {
    /// The queue's name.
    public var queue: String
    /// Every host that has registered on the queue.
    public var hosts: [HostSummary] = []
    /// Open jobs, then those that ended in the last hour, newest first.
    public var jobs: [JobSummary] = []
    /// Dead-lettered tasks, the most recent first.
    public var deadLetters: [DeadLetter] = []
}

/// A worker host as its row has it.
public struct HostSummary: Sendable, Codable, Equatable {
    /// The host's id (machine name, pid and a random part).
    public var id: String
    /// The machine's name.
    public var hostname: String
    /// The host's process id on its machine.
    public var pid: Int
    /// The build identity of the host's executable: it runs only jobs of that build.
    public var build: String
    /// Its local worker processes.
    public var workers: Int
    /// Seconds since it registered.
    public var secondsSinceStart: Double
    /// Seconds since its last heartbeat.
    public var secondsSinceSeen: Double
}

/// A job's progress: its tasks by state.
public struct JobSummary: Sendable, Codable, Equatable {
    /// The job's id.
    public var id: Int64
    /// The job type's name.
    public var name: String
    /// `loading`, `running`, `finished` or `cancelled`.
    public var state: String
    /// Its tasks.
    public var total: Int
    /// Tasks waiting for a host.
    public var pending: Int
    /// Tasks claimed by a host.
    public var running: Int
    /// Tasks with a result.
    public var done: Int
    /// Tasks that failed with a thrown error (no other attempt).
    public var failed: Int
    /// Tasks dead-lettered.
    public var dead: Int
    /// Tasks cancelled.
    public var cancelled: Int
    /// Its priority (higher first).
    public var priority: Int
    /// The submitter's build identity.
    public var build: String
    /// The submitter's machine and process id (`name/pid`), or nil for a job stored by a
    /// build that did not record it.
    public var submitter: String?
    /// Seconds since it was submitted.
    public var ageSeconds: Double
    /// Seconds from its submission to its end (nil while it is open).
    public var durationSeconds: Double?

    /// Tasks that ended, whichever way.
    public var finished: Int { done + failed + dead + cancelled }
}

/// A dead-lettered task, with every attempt's cause and the host it ran on.
public struct DeadLetter: Sendable, Codable, Equatable {
    /// A task's attempt: why it ended, and where.
    public struct Attempt: Sendable, Codable, Equatable {
        /// The cause as the host recorded it (a signal or exit status, a timeout, a lost lease),
        /// with the last lines of the worker's standard error when it had any.
        public var cause: String
        /// The host it ran on.
        public var host: String
    }

    /// The task's job.
    public var jobID: Int64
    /// The task's index in its job.
    public var index: Int
    /// The job type's name.
    public var jobName: String
    /// The attempts it had.
    public var attempts: [Attempt]
}

extension DistributedProcessPool {
    /// The queue's hosts, its open jobs and those that ended in the last hour (`jobLimit` at
    /// most, newest first) with their progress, and its latest `deadLetterLimit` dead letters.
    public func overview(jobLimit: Int = 50, deadLetterLimit: Int = 50) async throws -> QueueOverview {
        let (database, queue) = (database, queue)
        return try await database.retryingThroughOutages("reading the overview of queue \(queue)",
                                                         tolerance: options.outageTolerance) {
            var overview = QueueOverview(queue: queue)
            overview.hosts = try await Self.hosts(database, queue: queue)
            overview.jobs = try await Self.jobs(database, """
                SELECT id FROM mp_jobs WHERE queue = \(queue)
                  AND (state IN ('loading', 'running') OR finished_at > now() - interval '1 hour')
                ORDER BY id DESC LIMIT \(Int32(clamping: jobLimit))
                """)
            overview.deadLetters = try await Self.deadLetters(database, """
                SELECT job_id, idx, done_seq FROM mp_tasks WHERE queue = \(queue) AND state = 'dead'
                ORDER BY done_seq DESC NULLS LAST LIMIT \(Int32(clamping: deadLetterLimit))
                """, order: "s.done_seq DESC NULLS LAST, s.job_id, s.idx")
            return overview
        }
    }

    /// One job of this queue with its progress (nil if the queue has no such job).
    public func jobSummary(id: Int64) async throws -> JobSummary? {
        let (database, queue) = (database, queue)
        return try await database.retryingThroughOutages("reading job \(id)", tolerance: options.outageTolerance) {
            try await Self.jobs(database, "SELECT id FROM mp_jobs WHERE id = \(id) AND queue = \(queue)").first
        }
    }

    /// The dead letters of one job of this queue (`limit` at most, by index).
    public func deadLetters(jobID: Int64, limit: Int = 100) async throws -> [DeadLetter] {
        let (database, queue) = (database, queue)
        return try await database.retryingThroughOutages("reading the dead letters of job \(jobID)",
                                                         tolerance: options.outageTolerance) {
            try await Self.deadLetters(database, """
                SELECT job_id, idx FROM mp_tasks WHERE job_id = \(jobID) AND queue = \(queue) AND state = 'dead'
                ORDER BY idx LIMIT \(Int32(clamping: limit))
                """, order: "s.idx")
        }
    }

    /// The names of the queues the database holds jobs or hosts of.
    public func queueNames() async throws -> [String] {
        let database = database
        return try await database.retryingThroughOutages("listing the queues", tolerance: options.outageTolerance) {
            var names: [String] = []
            for try await name in try await database.execute(
                "SELECT queue FROM mp_hosts UNION SELECT DISTINCT queue FROM mp_jobs ORDER BY 1").decode(String.self) {
                names.append(name)
            }
            return names
        }
    }

    private static func hosts(_ database: QueueDatabase, queue: String) async throws -> [HostSummary] {
        var hosts: [HostSummary] = []
        for try await (id, name, pid, build, workers, started, seen) in try await database.execute("""
            SELECT id, hostname, pid, build_id, workers, extract(epoch FROM now() - started_at)::float8,
                   extract(epoch FROM now() - seen_at)::float8
            FROM mp_hosts WHERE queue = \(queue) ORDER BY id
            """).decode((String, String, Int32, String, Int32, Double, Double).self) {
            hosts.append(HostSummary(id: id, hostname: name, pid: Int(pid), build: build, workers: Int(workers),
                                     secondsSinceStart: started, secondsSinceSeen: seen))
        }
        return hosts
    }

    /// The jobs whose ids `selection` returns, newest first, with their tasks counted by state.
    private static func jobs(_ database: QueueDatabase, _ selection: PostgresQuery) async throws -> [JobSummary] {
        var query: PostgresQuery = """
            WITH s AS (
            """
        query.sql += selection.sql
        query.binds = selection.binds
        query.sql += """
            ), counts AS (
                SELECT t.job_id,
                       count(*) FILTER (WHERE t.state = 'pending') AS pending, count(*) FILTER (WHERE t.state = 'running') AS running,
                       count(*) FILTER (WHERE t.state = 'done') AS done, count(*) FILTER (WHERE t.state = 'failed') AS failed,
                       count(*) FILTER (WHERE t.state = 'dead') AS dead, count(*) FILTER (WHERE t.state = 'cancelled') AS cancelled
                FROM mp_tasks t WHERE t.job_id IN (SELECT id FROM s) GROUP BY t.job_id)
            SELECT j.id, j.job_name, j.state, j.total, j.priority, j.build_id, coalesce(j.submission, ''),
                   extract(epoch FROM now() - j.created_at)::float8,
                   extract(epoch FROM j.finished_at - j.created_at)::float8,
                   array[coalesce(c.pending, 0), coalesce(c.running, 0), coalesce(c.done, 0),
                         coalesce(c.failed, 0), coalesce(c.dead, 0), coalesce(c.cancelled, 0)]::int8[]
            FROM mp_jobs j LEFT JOIN counts c ON c.job_id = j.id WHERE j.id IN (SELECT id FROM s) ORDER BY j.id DESC
            """
        var jobs: [JobSummary] = []
        for try await (id, name, state, total, priority, build, submission, age, duration, counts) in try await database.execute(query)
            .decode((Int64, String, String, Int32, Int32, String, String, Double, Double?, [Int64]).self) {
            let count = { (i: Int) in i < counts.count ? Int(counts[i]) : 0 }
            jobs.append(JobSummary(id: id, name: name, state: state, total: Int(total), pending: count(0), running: count(1),
                                   done: count(2), failed: count(3), dead: count(4), cancelled: count(5),
                                   priority: Int(priority), build: build, submitter: JobSubmission.submitter(of: submission),
                                   ageSeconds: age, durationSeconds: duration))
        }
        return jobs
    }

    /// The tasks whose keys `selection` returns (as `s`), in `order` (SQL of ours, no input), with their attempts.
    private static func deadLetters(_ database: QueueDatabase, _ selection: PostgresQuery, order: String) async throws -> [DeadLetter] {
        var query: PostgresQuery = "WITH s AS ("
        query.sql += selection.sql
        query.binds = selection.binds
        query.sql += """
            )
            SELECT t.job_id, t.idx, j.job_name, t.causes, t.cause_hosts
            FROM s JOIN mp_tasks t ON t.job_id = s.job_id AND t.idx = s.idx JOIN mp_jobs j ON j.id = t.job_id
            ORDER BY
            """
        query.sql += " " + order
        var letters: [DeadLetter] = []
        for try await (jobID, index, name, causes, hosts) in try await database.execute(query)
            .decode((Int64, Int32, String, [String], [String]).self) {
            let attempts = causes.enumerated().map { i, cause in
                DeadLetter.Attempt(cause: cause, host: i < hosts.count ? hosts[i] : "?")
            }
            letters.append(DeadLetter(jobID: jobID, index: Int(index), jobName: name, attempts: attempts))
        }
        return letters
    }
}
#endif  // Postgres
