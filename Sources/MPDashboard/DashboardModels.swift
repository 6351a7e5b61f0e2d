#if Dashboard
import MultiprocessingPostgres

// The JSON of the dashboard's endpoints (README: "The dashboard"). Rates are tasks per second
// over the last minute, measured by the server from its own readings (one a second).

/// `/api/queues`: a queue's tasks by state, as ``QueueStatus`` has them, and its rates.
struct QueueJSON: Encodable, Sendable, Equatable {
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

struct WaitingBuildJSON: Encodable, Sendable, Equatable {
    var build: String
    var jobs: Int
    var tasks: Int
}

/// A library value with the dashboard's own fields beside its own, as one JSON object: the
/// library's structs are not written out again here.
struct Annotated<Base: Encodable & Sendable & Equatable, Extra: Encodable & Sendable & Equatable>: Encodable, Sendable, Equatable {
    var base: Base
    var extra: Extra

    func encode(to encoder: any Encoder) throws {
        try base.encode(to: encoder)
        try extra.encode(to: encoder)
    }
}

/// `/api/hosts`: a host (``HostSummary``'s fields) with its queue and running tasks.
typealias HostJSON = Annotated<HostSummary, HostExtra>

struct HostExtra: Encodable, Sendable, Equatable {
    var queue: String
    var running: Int
}

/// `/api/jobs`: a job (``JobSummary``'s fields) with its queue, progress and estimated finish.
typealias JobJSON = Annotated<JobSummary, JobExtra>

struct JobExtra: Encodable, Sendable, Equatable {
    var queue: String
    /// Ended tasks (done, failed, dead, cancelled) in percent of the total.
    var progress: Double
    /// Tasks per second that ended over the last minute.
    var rate: Double
    /// Seconds until its last task ends at that rate (nil when it ended, or nothing ended lately).
    var etaSeconds: Double?
}

/// `/api/dead`: a dead letter, each attempt's cause apart from the stderr lines its host recorded.
struct DeadLetterJSON: Encodable, Sendable, Equatable {
    struct Attempt: Encodable, Sendable, Equatable {
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
        attempts = letter.attempts.map { Attempt(cause: $0.reason, host: $0.host, stderrTail: $0.stderrTail) }
    }
}

/// `/api/jobs/:id`: a job and its dead letters.
struct JobDetailJSON: Encodable, Sendable, Equatable {
    var job: JobJSON
    var deadLetters: [DeadLetterJSON]
}

/// `/api/throughput`: tasks per second that ended, over the last hour, in buckets of ten seconds
/// (the oldest first; nil where the server was not watching yet).
struct ThroughputJSON: Encodable, Sendable, Equatable {
    var bucketSeconds: Int
    var perSecond: [Double?]
}

/// `/api/latency`: per queue, of the tasks that ended in each minute of the last hour, the
/// median and 95th percentile of their seconds from claim to stored outcome (`runP50`,
/// `runP95`) and from queued to claim (`waitP50`, `waitP95`); minutes with no task left out.
/// `now` is the database server's time of the reading (seconds since 1970, like `minute`).
struct LatencyJSON: Encodable, Sendable, Equatable {
    var queue: String
    var now: Double
    var minutes: [LatencyMinute]
}

/// `/api/config`: what the page needs to know of the server (no secret).
struct ConfigJSON: Encodable, Sendable, Equatable {
    var database: String
    var queues: [String]
    /// `token`, `loopback` (actions open: the server is bound to loopback) or `read-only`.
    var actions: String
    var sampleSeconds: Double
}

/// `/api/dashboard`: everything the page shows, in one request a second.
struct DashboardJSON: Encodable, Sendable, Equatable {
    var config: ConfigJSON
    var queues: [QueueJSON]
    var hosts: [HostJSON]
    var jobs: [JobJSON]
    var dead: [DeadLetterJSON]
    var throughput: ThroughputJSON
    var latency: [LatencyJSON]
    /// Seconds since the server's last reading, and its error if that reading failed.
    var sampleAgeSeconds: Double
    var error: String?
}

/// An action's reply.
struct ActionJSON: Encodable, Sendable {
    var ok: Bool
    var message: String
}
#endif  // Dashboard
