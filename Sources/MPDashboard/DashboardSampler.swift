#if Dashboard
import Foundation
import Logging
import MultiprocessingPostgres
import Synchronization

/// Reads every queue shown once per ``DashboardOptions/sampleInterval`` and keeps the result,
/// encoded, for every browser: however many watch, the database is read once a second.
actor DashboardSampler {
    let options: DashboardOptions
    let redactor: Redactor
    let logger: Logger
    /// The latest bodies of the read-only endpoints, by path (scrubbed of secrets).
    nonisolated let bodies = Mutex<[String: String]>([:])
    /// The latest reading's hosts, to find a host's queue for an action.
    private var hostQueues: [String: String] = [:]
    /// One pool per queue, made once even when readings and actions ask for it together.
    private var pools: [String: Task<DistributedProcessPool, any Error>] = [:]
    private var queues: [String] = []
    private var lastQueueListing = ContinuousClock.now - .seconds(3_600)
    private var history = DashboardHistory()
    private let clock = ContinuousClock()
    private let origin = ContinuousClock.now
    private var lastReading: ContinuousClock.Instant?
    private var latency: [LatencyJSON] = []
    private var latencyQueues: [String] = []
    private var lastLatencyReading: ContinuousClock.Instant?

    init(options: DashboardOptions, redactor: Redactor, logger: Logger) {
        self.options = options
        self.redactor = redactor
        self.logger = logger
    }

    /// Reads until cancelled.
    func run() async {
        // What the server is: known before the first reading, which may take the connection's time.
        let config = self.config(queues: options.queue.map { [$0] } ?? [])
        bodies.withLock { $0["/api/config"] = encode(config) }
        while !Task.isCancelled {
            let started = clock.now
            await readOnce()
            try? await Task.sleep(until: started + options.sampleInterval, clock: clock)
        }
        for pool in pools.values { (try? await pool.value)?.close() }
    }

    /// The pool of `queue` (one client per queue shown; short outage tolerance, so that a
    /// reading fails within seconds and the page says so).
    func pool(_ queue: String) async throws -> DistributedProcessPool {
        if let pool = pools[queue] { return try await pool.value }
        let (url, logger) = (options.url, logger)
        let making = Task {
            try await DistributedProcessPool(url: url, queue: queue,
                                             options: .init(connectTimeout: .seconds(10), outageTolerance: .seconds(5)),
                                             logger: logger)
        }
        pools[queue] = making
        do {
            return try await making.value
        } catch {
            pools[queue] = nil   // tried again at the next reading
            throw error
        }
    }

    /// The queues shown: the one asked for, or those in the database (listed again every 5 s).
    private func currentQueues() async throws -> [String] {
        if let queue = options.queue { return [queue] }
        if clock.now - lastQueueListing > .seconds(5) {
            queues = try await pool("default").queueNames()
            lastQueueListing = clock.now
        }
        return queues
    }

    func queue(ofHost id: String) -> String? { hostQueues[id] }

    /// The known queues, for an action that names a job (whose queue is not in the request).
    func knownQueues() async throws -> [String] { try await currentQueues() }

    private func readOnce() async {
        var error: String?
        var queueRows: [QueueJSON] = []
        var hostRows: [HostJSON] = []
        var jobRows: [JobJSON] = []
        var deadRows: [DeadLetterJSON] = []
        var reading = DashboardHistory.Reading(time: seconds(clock.now), ended: [:], jobs: [:])
        var statuses: [QueueStatus] = []
        var overviews: [QueueOverview] = []
        do {
            for queue in try await currentQueues() {
                let pool = try await pool(queue)
                statuses.append(try await pool.status())
                overviews.append(try await pool.overview())
            }
            try await readLatency(statuses.map(\.queue))
        } catch let failure {
            error = redactor.scrub(String(describing: failure))
            logger.warning("reading the queues failed", metadata: ["error": "\(error ?? "")"])
        }
        if error == nil {
            for status in statuses {
                reading.ended[status.queue] = (status.done, status.failed, status.dead)
            }
            for overview in overviews {
                for job in overview.jobs { reading.jobs[job.id] = job.finished }
            }
            history.append(reading)
            lastReading = clock.now
            var hosts: [String: String] = [:]
            for (status, overview) in zip(statuses, overviews) {
                let rates = history.rates(of: status.queue)
                queueRows.append(QueueJSON(
                    queue: status.queue, pending: status.pending, running: status.running, done: status.done,
                    failed: status.failed, dead: status.dead, cancelled: status.cancelled, duplicates: status.duplicates,
                    openJobs: status.openJobs, doneRate: round1(rates.done), failedRate: round1(rates.failed),
                    deadRate: round1(rates.dead),
                    waitingForBuild: status.waitingForBuild.map { WaitingBuildJSON(build: $0.build, jobs: $0.jobs, tasks: $0.tasks) }))
                for var host in overview.hosts {
                    hosts[host.id] = status.queue
                    host.secondsSinceSeen = round1(host.secondsSinceSeen)
                    host.secondsSinceStart = round1(host.secondsSinceStart)
                    hostRows.append(HostJSON(base: host, extra: HostExtra(queue: status.queue,
                                                                          running: status.runningByHost[host.id] ?? 0)))
                }
                for job in overview.jobs { jobRows.append(jobJSON(queue: status.queue, job)) }
                deadRows += overview.deadLetters.map { DeadLetterJSON(queue: status.queue, $0) }
            }
            hostQueues = hosts
        }
        publish(queues: queueRows, hosts: hostRows, jobs: jobRows, dead: deadRows, error: error,
                prometheus: statuses.map(\.prometheusText).joined())
    }

    func jobJSON(queue: String, _ job: JobSummary) -> JobJSON {
        let open = job.state == "loading" || job.state == "running"
        let rate = history.rate(ofJob: job.id)
        let remaining = max(0, job.total - job.finished)
        var shown = job
        shown.ageSeconds = round1(job.ageSeconds)
        shown.durationSeconds = job.durationSeconds.map(round1)
        return JobJSON(base: shown, extra: JobExtra(
            queue: queue, progress: job.total == 0 ? 100 : round1(Double(job.finished) * 100 / Double(job.total)),
            rate: round1(rate),
            etaSeconds: open && rate > 0 ? round1(Double(remaining) / rate) : (open && remaining == 0 ? 0 : nil)))
    }

    /// The queues' latency, read again every ``latencyInterval`` (it reads every task of the
    /// last hour's jobs; its figures are per minute).
    private func readLatency(_ queues: [String]) async throws {
        let due = lastLatencyReading.map { clock.now - $0 >= Self.latencyInterval } ?? true
        guard due || latencyQueues != queues else { return }
        var read: [LatencyJSON] = []
        for queue in queues {
            let (minutes, now) = try await pool(queue).latency()
            read.append(LatencyJSON(queue: queue, now: now, minutes: minutes.map(Self.rounded)))
        }
        latency = read
        latencyQueues = queues
        lastLatencyReading = clock.now
    }

    static let latencyInterval = Duration.seconds(10)

    /// Milliseconds: the chart shows no finer.
    static func rounded(_ minute: LatencyMinute) -> LatencyMinute {
        let ms = { (seconds: Double) in (seconds * 1_000).rounded() / 1_000 }
        var minute = minute
        (minute.runP50, minute.runP95, minute.waitP50, minute.waitP95) =
            (ms(minute.runP50), ms(minute.runP95), ms(minute.waitP50), ms(minute.waitP95))
        return minute
    }

    private func publish(queues: [QueueJSON], hosts: [HostJSON], jobs: [JobJSON], dead: [DeadLetterJSON],
                         error: String?, prometheus: String) {
        let config = config(queues: queues.map(\.queue))
        let throughput = ThroughputJSON(bucketSeconds: DashboardHistory.bucketSeconds,
                                        perSecond: history.throughput().map { $0.map(round1) })
        let age = lastReading.map { seconds(clock.now - $0) } ?? -1
        let whole = DashboardJSON(config: config, queues: queues, hosts: hosts, jobs: jobs, dead: dead,
                                  throughput: throughput, latency: latency, sampleAgeSeconds: round1(age), error: error)
        var encoded: [String: String] = [:]
        encoded["/api/config"] = encode(config)
        encoded["/api/dashboard"] = encode(whole)
        // After a failed reading, the figures of the last good one are not shown as current.
        if error == nil {
            encoded["/api/queues"] = encode(queues)
            encoded["/api/hosts"] = encode(hosts)
            encoded["/api/jobs"] = encode(jobs)
            encoded["/api/dead"] = encode(dead)
            encoded["/api/throughput"] = encode(throughput)
            encoded["/api/latency"] = encode(latency)
            encoded["/metrics"] = redactor.scrub(prometheus)
        }
        let scrubbed = encoded
        bodies.withLock { bodies in
            if error != nil {
                for path in ["/api/queues", "/api/hosts", "/api/jobs", "/api/dead", "/api/throughput", "/api/latency", "/metrics"] {
                    bodies[path] = nil
                }
            }
            bodies.merge(scrubbed) { $1 }
            bodies["error"] = error
        }
    }

    private func config(queues: [String]) -> ConfigJSON {
        ConfigJSON(database: redactor.database, queues: queues, actions: options.actionPolicy.name,
                   sampleSeconds: seconds(options.sampleInterval))
    }

    func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        return redactor.scrub(String(decoding: data, as: UTF8.self))
    }

    private func seconds(_ instant: ContinuousClock.Instant) -> Double { seconds(instant - origin) }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// One decimal: the page shows no more, and the JSON stays short.
func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }
#endif  // Dashboard
