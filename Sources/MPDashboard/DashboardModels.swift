#if Dashboard
import MultiprocessingPostgres

// The JSON of the dashboard's endpoints (README: "The dashboard"). Rates are tasks per second
// over the last minute, measured by the server from its own readings (one a second).

/// `/api/queues`: a queue's tasks by state, as ``QueueStatus`` has them, and its rates.
struct QueueJSON: Codable, Sendable, Equatable {
    var queue: String
    var pending: Int
    var running: Int
    var done: Int
    var failed: Int
    var dead: Int
    var cancelled: Int
    var duplicates: Int
    var openJobs: Int
    /// Tasks per second that ended done, failed or dead, over the last minute.
    var doneRate: Double
    var failedRate: Double
    var deadRate: Double
    /// Builds whose open jobs no live host runs.
    var waitingForBuild: [WaitingBuildJSON]
}

struct WaitingBuildJSON: Codable, Sendable, Equatable {
    var build: String
    var jobs: Int
    var tasks: Int
}

/// `/api/hosts`: a host with its running tasks.
struct HostJSON: Codable, Sendable, Equatable {
    var queue: String
    var id: String
    var hostname: String
    var pid: Int
    var build: String
    var workers: Int
    var running: Int
    var secondsSinceSeen: Double
    var secondsSinceStart: Double
}

/// `/api/jobs`: a job's progress and its estimated finish.
struct JobJSON: Codable, Sendable, Equatable {
    var queue: String
    var id: Int64
    var name: String
    var state: String
    var submitter: String?
    var build: String
    var priority: Int
    var total: Int
    var pending: Int
    var running: Int
    var done: Int
    var failed: Int
    var dead: Int
    var cancelled: Int
    /// Ended tasks (done, failed, dead, cancelled) in percent of the total.
    var progress: Double
    var ageSeconds: Double
    var durationSeconds: Double?
    /// Tasks per second that ended over the last minute.
    var rate: Double
    /// Seconds until its last task ends at that rate (nil when it ended, or nothing ended lately).
    var etaSeconds: Double?
}

/// `/api/dead`: a dead letter, each attempt's cause split from the stderr line its host recorded.
struct DeadLetterJSON: Codable, Sendable, Equatable {
    struct Attempt: Codable, Sendable, Equatable {
        var cause: String
        var host: String
        var stderrTail: [String]
    }
    var queue: String
    var jobID: Int64
    var index: Int
    var jobName: String
    var attempts: [Attempt]

    init(queue: String, _ letter: DeadLetter) {
        self.queue = queue
        jobID = letter.jobID
        index = letter.index
        jobName = letter.jobName
        attempts = letter.attempts.map { Self.split($0) }
    }

    /// A host records a crash's cause with the last line of the worker's stderr after it,
    /// as " (stderr: <line>)" (HostLoop+Running): shown apart.
    static func split(_ attempt: DeadLetter.Attempt) -> Attempt {
        let marker = " (stderr: "
        guard attempt.cause.hasSuffix(")"), let start = attempt.cause.range(of: marker) else {
            return Attempt(cause: attempt.cause, host: attempt.host, stderrTail: [])
        }
        let tail = attempt.cause[start.upperBound...].dropLast()
        return Attempt(cause: String(attempt.cause[..<start.lowerBound]), host: attempt.host,
                       stderrTail: tail.split(separator: "\n").map(String.init))
    }
}

/// `/api/jobs/:id`: a job and its dead letters.
struct JobDetailJSON: Codable, Sendable, Equatable {
    var job: JobJSON
    var deadLetters: [DeadLetterJSON]
}

/// `/api/throughput`: tasks per second that ended, over the last hour, in buckets of ten seconds
/// (the oldest first; nil where the server was not watching yet).
struct ThroughputJSON: Codable, Sendable, Equatable {
    var bucketSeconds: Int
    var perSecond: [Double?]
}

/// `/api/config`: what the page needs to know of the server (no secret).
struct ConfigJSON: Codable, Sendable, Equatable {
    var database: String
    var queues: [String]
    /// `token`, `loopback` (actions open: the server is bound to loopback) or `read-only`.
    var actions: String
    var sampleSeconds: Double
}

/// `/api/dashboard`: everything the page shows, in one request a second.
struct DashboardJSON: Codable, Sendable, Equatable {
    var config: ConfigJSON
    var queues: [QueueJSON]
    var hosts: [HostJSON]
    var jobs: [JobJSON]
    var dead: [DeadLetterJSON]
    var throughput: ThroughputJSON
    /// Seconds since the server's last reading, and its error if that reading failed.
    var sampleAgeSeconds: Double
    var error: String?
}

/// An action's reply.
struct ActionJSON: Codable, Sendable {
    var ok: Bool
    var message: String
}
#endif  // Dashboard
