import Foundation
import Logging
import Multiprocessing
import PostgresNIO
import Synchronization

/// A task a host claimed.
struct ClaimedTask: Sendable {
    var jobID: Int64
    var index: Int32
    var input: ByteBuffer

    var key: TaskKey { TaskKey(jobID: jobID, index: index) }
}

/// A task's row key.
struct TaskKey: Hashable, Sendable {
    var jobID: Int64
    var index: Int32
}

/// A job's row, as a host needs it.
struct HostJob: Sendable {
    var id: Int64
    var buildIdentity: String
    var typeName: String
    var name: String
    var blob: [UInt8]
    var timeoutMS: Int64?
    var cancelled: Bool
}

/// How a task ended on this host, to be written back.
struct TaskOutcomeRecord: Sendable {
    /// `retry` costs the attempt (the task's fault, or the attempt's: a crash, a timeout);
    /// `release` hands the task back as if never claimed (the host's fault: it cannot run it).
    enum Kind: String { case done, failed, retry, release }
    var jobID: Int64
    var index: Int32
    var kind: Kind
    var output: [UInt8] = []
    var errorType = ""
    var error = ""

    var key: TaskKey { TaskKey(jobID: jobID, index: index) }
}

/// The claim, run and write-back loops of one worker host.
final class HostLoop: Sendable {
    let database: QueueDatabase
    let pool: ProcessPool
    let queue: String
    let options: WorkerHost.Options
    let logger: Logger
    let hostID: String
    let hostName: String
    private let capacity: Int
    private let state = Mutex(State())
    private let claimBell = Doorbell()
    private let writeBell = Doorbell()

    private struct State {
        var inFlight = 0
        var jobs: [Int64: HostJob] = [:]
        var running: [Int64: [UInt64: Task<Void, Never>]] = [:]
        var nextGroup: UInt64 = 0
        var outcomes: [TaskOutcomeRecord] = []
        var writing = false
        var cancelled: Set<Int64> = []
        /// The tasks this host holds: claimed, and not yet written back. Only their leases are
        /// renewed, so that a task the host lost track of (a claim whose reply was lost, a run
        /// that ended without an outcome) expires and runs elsewhere instead of never.
        var held: Set<TaskKey> = []
        /// Why this host stopped claiming, when its local pool failed.
        var failure: DistributedPoolError?
    }

    init(database: QueueDatabase, pool: ProcessPool, queue: String, options: WorkerHost.Options, logger: Logger) {
        self.database = database
        self.pool = pool
        self.queue = queue
        self.options = options
        self.logger = logger
        hostName = HostLoop.nodeName()
        hostID = "\(hostName)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        // Enough claimed to keep every worker busy while the next claim is on its way.
        capacity = max(options.claimBatch * 2, pool.workerCount * 4)
    }

    /// The machine's name as the kernel has it (`uname`): no DNS look-up, which can hang where
    /// the network has no resolver.
    static func nodeName() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: name.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    var leaseMS: Int64 { Int64(options.lease.components.seconds * 1000 + options.lease.components.attoseconds / 1_000_000_000_000_000) }

    func run() async throws {
        try await database.execute("""
            INSERT INTO mp_hosts (id, queue, hostname, pid, build_id, workers)
            VALUES (\(hostID), \(queue), \(hostName), \(Int32(getpid())), \(BuildIdentity.current), \(Int32(pool.workerCount)))
            """)
        let tasks = NotificationHub(database: database, channel: "mp_tasks")
        tasks.register(claimBell, for: queue)
        let cancels = database.listen("mp_cancel") { [self] payload in
            if let id = Int64(payload) { cancelJob(id) }
        }
        defer {
            tasks.stop()
            cancels.cancel()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.claimLoop() }
            group.addTask { await self.writeLoop() }
            group.addTask { await self.maintenanceLoop() }
            try await group.next()
            group.cancelAll()
        }
        if WorkerHost.isDraining {
            _ = try? await database.execute("DELETE FROM mp_hosts WHERE id = \(hostID)")
            logger.info("worker host drained: its claimed tasks are done and written", metadata: ["host": "\(hostID)"])
        }
    }

    // MARK: Claiming

    private func claimLoop() async throws {
        while !Task.isCancelled && !WorkerHost.isDraining && state.withLock({ $0.failure == nil }) {
            let room = capacity - state.withLock { $0.inFlight }
            if room >= min(options.claimBatch, capacity / 2) {
                do {
                    let claimed = try await claim(limit: min(room, options.claimBatch))
                    if !claimed.isEmpty {
                        await dispatch(claimed)
                        continue
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("claiming failed; trying again", metadata: ["error": "\(String(reflecting: error))"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            await claimBell.wait(upTo: options.pollInterval)
        }
        // Draining, or the local pool failed: claim nothing more; finish (or hand back) what is
        // claimed and write it back.
        while !Task.isCancelled && state.withLock({ $0.inFlight > 0 || !$0.outcomes.isEmpty || $0.writing }) {
            await claimBell.wait(upTo: .milliseconds(50))
        }
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    /// The local pool cannot run tasks (its workers cannot start, or it ended): the host's
    /// fault, not the tasks'. It stops claiming; what it holds is handed back at no attempt's
    /// cost, and the host ends with ``DistributedPoolError/localPoolFailed(_:)``.
    private func localPoolFailed(_ why: String) {
        let first = state.withLock { state -> Bool in
            guard state.failure == nil else { return false }
            state.failure = .localPoolFailed(StorableText.make(why, limit: 1_024))
            return true
        }
        if first {
            logger.error("the local worker pool failed: handing the tasks back and claiming no more",
                         metadata: ["host": "\(hostID)", "why": "\(why)"])
        }
        claimBell.ring()
    }

    /// Claims pending tasks of jobs submitted by this build only: a host never takes (or spends
    /// attempts on) tasks of another build, which wait for a host of theirs (a rolling deploy).
    private func claim(limit: Int) async throws -> [ClaimedTask] {
        var claimed: [ClaimedTask] = []
        for try await (jobID, index, input) in try await database.execute("""
            WITH c AS (SELECT job_id, idx FROM mp_tasks
                       WHERE queue = \(queue) AND state = 'pending'
                         AND job_id IN (SELECT id FROM mp_jobs WHERE queue = \(queue) AND state = 'running'
                                                                 AND build_id = \(BuildIdentity.current))
                       ORDER BY job_id, idx LIMIT \(Int32(limit)) FOR UPDATE SKIP LOCKED)
            UPDATE mp_tasks t SET state = 'running', attempts = t.attempts + 1, host = \(hostID),
                   lease_until = now() + \(leaseMS) * interval '1 millisecond'
            FROM c WHERE t.job_id = c.job_id AND t.idx = c.idx
            RETURNING t.job_id, t.idx, t.input
            """).decode((Int64, Int32, ByteBuffer).self) {
            claimed.append(ClaimedTask(jobID: jobID, index: index, input: input))
        }
        if !claimed.isEmpty {
            state.withLock { state in
                state.inFlight += claimed.count
                state.held.formUnion(claimed.map(\.key))
            }
        }
        return claimed
    }

    private func dispatch(_ claimed: [ClaimedTask]) async {
        let groups = Dictionary(grouping: claimed, by: \.jobID)
        let unknown = state.withLock { state in groups.keys.filter { state.jobs[$0] == nil } }
        do {
            if !unknown.isEmpty { try await loadJobs(unknown) }
        } catch {
            // The tasks are claimed: give them back through the write-back (the host's fault: no
            // attempt spent), so that they run here or elsewhere later.
            logger.warning("cannot read the claimed tasks' jobs; handing the tasks back", metadata: ["error": "\(String(reflecting: error))"])
            let records = claimed.map { TaskOutcomeRecord(jobID: $0.jobID, index: $0.index, kind: .release) }
            state.withLock { state in
                state.inFlight -= claimed.count
                state.outcomes.append(contentsOf: records)
            }
            writeBell.ring()
            return
        }
        for (jobID, tasks) in groups {
            let job = state.withLock { $0.jobs[jobID] }
            state.withLock { state in
                let group = state.nextGroup
                state.nextGroup += 1
                let work = Task { [self] in
                    let records = await run(job, tasks)
                    finishGroup(jobID: jobID, group: group, tasks: tasks, records: records)
                }
                state.running[jobID, default: [:]][group] = work
            }
        }
    }

    private func loadJobs(_ ids: [Int64]) async throws {
        for try await (id, build, type, name, blob, timeout, jobState) in try await database.execute("""
            SELECT id, build_id, job_type, job_name, job_blob, timeout_ms, state FROM mp_jobs WHERE id = ANY(\(ids)::int8[])
            """).decode((Int64, String, String, String, ByteBuffer, Int64?, String).self) {
            let job = HostJob(id: id, buildIdentity: build, typeName: type, name: name,
                              blob: Array(buffer: blob), timeoutMS: timeout, cancelled: jobState == "cancelled")
            state.withLock { $0.jobs[id] = job }
        }
    }

    private func finishGroup(jobID: Int64, group: UInt64, tasks: [ClaimedTask], records: [TaskOutcomeRecord]) {
        state.withLock { state in
            state.inFlight -= tasks.count
            state.running[jobID]?[group] = nil
            if state.running[jobID]?.isEmpty == true { state.running[jobID] = nil }
            // A cancelled job's outcomes are not wanted (its tasks are already marked cancelled).
            let kept = state.cancelled.contains(jobID) ? [] : records
            state.outcomes.append(contentsOf: kept)
            // A task with no outcome to write is no longer held: its lease lapses.
            state.held.subtract(Set(tasks.map(\.key)).subtracting(kept.map(\.key)))
        }
        writeBell.ring()
        claimBell.ring()
    }

    private func cancelJob(_ jobID: Int64) {
        let works = state.withLock { state -> [Task<Void, Never>] in
            state.cancelled.insert(jobID)
            state.jobs[jobID]?.cancelled = true
            return state.running[jobID].map { Array($0.values) } ?? []
        }
        if !works.isEmpty { logger.info("job cancelled: stopping its tasks here", metadata: ["job": "\(jobID)", "groups": "\(works.count)"]) }
        for work in works { work.cancel() }
    }

    // MARK: Running

    private func run(_ job: HostJob?, _ tasks: [ClaimedTask]) async -> [TaskOutcomeRecord] {
        func failAll(_ why: String) -> [TaskOutcomeRecord] {
            tasks.map { TaskOutcomeRecord(jobID: $0.jobID, index: $0.index, kind: .failed, error: why) }
        }
        guard let job else { return failAll("the task's job row is missing") }
        if job.cancelled { return [] }
        guard job.buildIdentity == BuildIdentity.current else {
            // The claim takes this build's jobs only; should one come through anyway, it goes
            // back untouched for a host of its build.
            logger.error("handing back tasks of another build", metadata: ["job": "\(job.id)", "theirs": "\(job.buildIdentity)", "ours": "\(BuildIdentity.current)"])
            return tasks.map { TaskOutcomeRecord(jobID: $0.jobID, index: $0.index, kind: .release) }
        }
        // The same build as the submitter's has the same types: no host can run this job
        // (a damaged row), so its tasks fail rather than wait for ever.
        guard let type = _typeByName(job.typeName) as? any Job.Type else {
            return failAll("unknown job type \(job.name): this worker host's executable has no such Job type")
        }
        return await run(type, job, tasks)
    }

    private func run<J: Job>(_ type: J.Type, _ job: HostJob, _ tasks: [ClaimedTask]) async -> [TaskOutcomeRecord] {
        var records: [TaskOutcomeRecord] = []
        let value: J
        do {
            value = try BinaryDecoder().decode(J.self, from: job.blob)
        } catch {
            return tasks.map { TaskOutcomeRecord(jobID: $0.jobID, index: $0.index, kind: .failed,
                                                 error: "the job value cannot be decoded as \(job.name): \(error)") }
        }
        var inputs: [J.Input] = []
        var runnable: [ClaimedTask] = []
        for task in tasks {
            guard task.input.readableBytes <= options.maxPayloadBytes else {
                records.append(TaskOutcomeRecord(jobID: task.jobID, index: task.index, kind: .failed,
                                                 error: "input of \(task.input.readableBytes) bytes exceeds the cap of \(options.maxPayloadBytes)"))
                continue
            }
            do {
                inputs.append(try BinaryDecoder().decode(J.Input.self, from: Array(buffer: task.input)))
                runnable.append(task)
            } catch {
                records.append(TaskOutcomeRecord(jobID: task.jobID, index: task.index, kind: .failed,
                                                 error: "the input cannot be decoded as \(J.Input.self): \(error)"))
            }
        }
        guard !inputs.isEmpty else { return records }
        let timeout = job.timeoutMS.map { Duration.milliseconds($0) }
        let results: [Result<J.Output, JobFailure>]
        do {
            results = try await pool.mapResults(value, inputs, timeout: timeout, retries: 0)
        } catch {
            // Cancelled (the job was): no outcome, the tasks are marked cancelled already.
            if Task.isCancelled || error is CancellationError { return records }
            if let failure = error as? JobFailure, failure.reason == .cancelled { return records }
            localPoolFailed(String(describing: error))
            return records + runnable.map { TaskOutcomeRecord(jobID: $0.jobID, index: $0.index, kind: .release) }
        }
        for (task, result) in zip(runnable, results) {
            if case let .failure(failure) = result, let why = Self.localPoolFault(failure.reason) {
                localPoolFailed(why)
                records.append(TaskOutcomeRecord(jobID: task.jobID, index: task.index, kind: .release))
            } else if let record = record(for: task, result) {
                records.append(record)
            }
        }
        return records
    }

    /// A reason that says the local pool, not the task, failed (nil for any other).
    private static func localPoolFault(_ reason: JobFailure.Reason) -> String? {
        switch reason {
        case let .workerStartFailed(why): return "no worker could start: \(why)"
        case .poolTerminated: return "the local pool was terminated"
        default: return nil
        }
    }

    private func record<Output: Encodable>(for task: ClaimedTask, _ result: Result<Output, JobFailure>) -> TaskOutcomeRecord? {
        var record = TaskOutcomeRecord(jobID: task.jobID, index: task.index, kind: .done)
        switch result {
        case let .success(output):
            do {
                record.output = try BinaryEncoder().encode(output)
                if record.output.count > options.maxPayloadBytes {
                    record.kind = .failed
                    record.error = "output of \(record.output.count) bytes exceeds the cap of \(options.maxPayloadBytes)"
                    record.output = []
                }
            } catch {
                record.kind = .failed
                record.error = "the output cannot be encoded: \(error)"
            }
        case let .failure(failure):
            var cause = failure.reason.description
            if let last = failure.stderrTail.last { cause += " (stderr: \(last))" }
            record.error = cause
            switch failure.reason {
            case let .threw(errorType, message):
                record.kind = .failed
                record.errorType = errorType
                record.error = message
            case .crashed, .timedOut, .outOfMemory, .protocolViolation:
                record.kind = .retry
            case .workerStartFailed:
                record.kind = .release
            case .cancelled, .poolTerminated:
                return nil
            case .codingFailed, .jobUnavailable, .failedOnHost:
                record.kind = .failed
            }
        }
        return record
    }

    // MARK: Writing back

    private func writeLoop() async {
        // After a failed write: from a quarter of a second, doubled up to 10 s (no tight loop).
        var pause = Duration.milliseconds(250)
        while true {
            let batch = state.withLock { state -> [TaskOutcomeRecord] in
                let taken = Array(state.outcomes.prefix(2_000))
                state.outcomes.removeFirst(taken.count)
                state.writing = !taken.isEmpty
                return taken
            }
            if batch.isEmpty {
                if Task.isCancelled { return }
                await writeBell.wait(upTo: .milliseconds(50))
                continue
            }
            do {
                try await writeIsolatingRefusedRows(batch)
                state.withLock { $0.writing = false }
                pause = .milliseconds(250)
                claimBell.ring()
            } catch {
                logger.warning("writing outcomes failed; trying again", metadata: [
                    "error": "\(String(reflecting: error.cause))", "retryIn": "\(pause)"])
                state.withLock { state in
                    state.outcomes.insert(contentsOf: error.unwritten, at: 0)
                    state.writing = false
                }
                if Task.isCancelled { return }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(10))
            }
        }
    }

    /// Outcomes not written because the database could not be reached, to be written later.
    struct UnwrittenOutcomes: Error {
        var unwritten: [TaskOutcomeRecord]
        var cause: any Error
    }

    /// Writes `batch`. A batch the server refuses for what a row holds is split in halves until
    /// the row at fault is alone: that task then fails with the server's reason, and every other
    /// row is written. What is left when the database cannot be reached is thrown back.
    private func writeIsolatingRefusedRows(_ batch: [TaskOutcomeRecord]) async throws(UnwrittenOutcomes) {
        var parts = [batch[...]]
        while let part = parts.popLast() {
            do {
                try await write(Array(part))
                forget(part)
            } catch {
                guard let refusal = ServerRefusal(error) else {
                    throw UnwrittenOutcomes(unwritten: parts.reversed().flatMap { Array($0) } + part, cause: error)
                }
                if part.count > 1 {
                    let middle = part.startIndex + part.count / 2
                    parts.append(part[middle...])
                    parts.append(part[..<middle])
                    continue
                }
                let row = part[part.startIndex]
                logger.error("the database refused a task's outcome; the task fails with the reason",
                             metadata: ["job": "\(row.jobID)", "task": "\(row.index)", "reason": "\(refusal.message)"])
                let failed = TaskOutcomeRecord(jobID: row.jobID, index: row.index, kind: .failed,
                                               error: "the outcome could not be stored: the database refused it: \(refusal.message)")
                do {
                    try await write([failed])
                } catch {
                    guard ServerRefusal(error) != nil else {
                        throw UnwrittenOutcomes(unwritten: parts.reversed().flatMap { Array($0) } + [failed], cause: error)
                    }
                    // Not even the failure can be stored: the task is left to its lease, which expires.
                    logger.error("the database refused a task's failure too; its lease will expire",
                                 metadata: ["job": "\(row.jobID)", "task": "\(row.index)"])
                }
                forget(part)
            }
        }
    }

    /// Written back: no longer this host's to renew.
    private func forget(_ records: ArraySlice<TaskOutcomeRecord>) {
        state.withLock { $0.held.subtract(records.map(\.key)) }
    }

    private func write(_ batch: [TaskOutcomeRecord]) async throws {
        let jobIDs = batch.map(\.jobID)
        let indices = batch.map(\.index)
        let kinds = batch.map(\.kind.rawValue)
        let outputs = batch.map { ByteBuffer(bytes: $0.output) }
        // Whatever a job produced: no NUL byte, no megabyte per attempt (see StorableText).
        let errorTypes = batch.map { StorableText.make($0.errorType) }
        let errors = batch.map { StorableText.make($0.error) }
        for try await (duplicates, _, _) in try await database.execute("""
            WITH r AS (
                SELECT * FROM unnest(\(jobIDs)::int8[], \(indices)::int4[], \(kinds)::text[], \(outputs)::bytea[],
                                     \(errorTypes)::text[], \(errors)::text[]) AS r(job_id, idx, kind, output, error_type, error)),
            upd AS (
                UPDATE mp_tasks t SET
                    state = CASE WHEN r.kind = 'release' THEN 'pending' WHEN r.kind <> 'retry' THEN r.kind
                                 WHEN t.attempts >= j.max_attempts THEN 'dead' ELSE 'pending' END,
                    attempts = CASE WHEN r.kind = 'release' THEN greatest(t.attempts - 1, 0) ELSE t.attempts END,
                    output = CASE WHEN r.kind = 'done' THEN r.output END,
                    error_type = CASE WHEN r.kind = 'release' THEN t.error_type ELSE nullif(r.error_type, '') END,
                    error = CASE WHEN r.kind = 'release' THEN t.error ELSE nullif(r.error, '') END,
                    causes = CASE WHEN r.kind IN ('done', 'release') THEN t.causes ELSE t.causes || r.error END,
                    cause_hosts = CASE WHEN r.kind IN ('done', 'release') THEN t.cause_hosts ELSE t.cause_hosts || \(hostID)::text END,
                    done_seq = CASE WHEN r.kind = 'release' OR (r.kind = 'retry' AND t.attempts < j.max_attempts) THEN NULL
                                    ELSE nextval('mp_done_seq') END,
                    host = CASE WHEN r.kind = 'release' OR (r.kind = 'retry' AND t.attempts < j.max_attempts) THEN NULL
                                ELSE \(hostID) END,
                    lease_until = NULL
                FROM r, mp_jobs j
                WHERE t.job_id = r.job_id AND t.idx = r.idx AND j.id = t.job_id
                  AND ((t.state = 'running' AND (r.kind NOT IN ('retry', 'release') OR t.host = \(hostID)))
                       OR (t.state = 'pending' AND r.kind NOT IN ('retry', 'release')))
                RETURNING t.job_id, t.state),
            dup AS (
                UPDATE mp_tasks t SET duplicates = t.duplicates + 1 FROM r
                WHERE t.job_id = r.job_id AND t.idx = r.idx AND r.kind NOT IN ('retry', 'release')
                  AND t.state IN ('done', 'failed', 'dead')
                RETURNING 1)
            SELECT (SELECT count(*) FROM dup),
                   (SELECT count(pg_notify('mp_results', d.job_id::text)) FROM (SELECT DISTINCT job_id FROM upd WHERE state <> 'pending') d),
                   (SELECT count(pg_notify('mp_tasks', \(queue))) FROM (SELECT 1 FROM upd WHERE state = 'pending' LIMIT 1) p)
            """).decode((Int, Int, Int).self) where duplicates > 0 {
            logger.info("duplicate results discarded (their tasks had finished elsewhere)", metadata: ["count": "\(duplicates)"])
        }
    }

    // MARK: Leases and retention

    private func maintenanceLoop() async {
        var lastCleanup = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: options.lease / 3)
            if Task.isCancelled { return }
            do {
                let held = state.withLock { Array($0.held) }
                if !held.isEmpty {
                    try await database.execute("""
                        UPDATE mp_tasks t SET lease_until = now() + \(leaseMS) * interval '1 millisecond'
                        FROM unnest(\(held.map(\.jobID))::int8[], \(held.map(\.index))::int4[]) AS h(job_id, idx)
                        WHERE t.job_id = h.job_id AND t.idx = h.idx AND t.state = 'running' AND t.host = \(hostID)
                        """)
                }
                try await database.execute("UPDATE mp_hosts SET seen_at = now() WHERE id = \(hostID)")
                try await reapExpiredLeases()
                if ContinuousClock.now - lastCleanup > .seconds(60) {
                    lastCleanup = .now
                    let removed = try await Retention.removeFinishedJobs(database, queue: queue, olderThan: options.retention)
                    if removed > 0 { logger.info("removed finished jobs past retention", metadata: ["jobs": "\(removed)"]) }
                }
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Tasks whose host stopped answering go back to pending, or to the dead letters after
    /// their last attempt.
    private func reapExpiredLeases() async throws {
        for try await (count, dead, _, _) in try await database.execute("""
            WITH x AS (SELECT job_id, idx FROM mp_tasks WHERE queue = \(queue) AND state = 'running' AND lease_until < now()
                       FOR UPDATE SKIP LOCKED),
            upd AS (
                UPDATE mp_tasks t SET
                    state = CASE WHEN t.attempts >= j.max_attempts THEN 'dead' ELSE 'pending' END,
                    error = 'lease expired: the host stopped answering',
                    causes = t.causes || 'lease expired: the host stopped answering'::text,
                    cause_hosts = t.cause_hosts || coalesce(t.host, '?'),
                    done_seq = CASE WHEN t.attempts >= j.max_attempts THEN nextval('mp_done_seq') END,
                    host = CASE WHEN t.attempts >= j.max_attempts THEN t.host END,
                    lease_until = NULL
                FROM x, mp_jobs j WHERE t.job_id = x.job_id AND t.idx = x.idx AND j.id = t.job_id
                RETURNING t.job_id, t.state)
            SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM upd WHERE state = 'dead'),
                   (SELECT count(pg_notify('mp_results', d.job_id::text)) FROM (SELECT DISTINCT job_id FROM upd WHERE state = 'dead') d),
                   (SELECT count(pg_notify('mp_tasks', \(queue))) FROM (SELECT 1 FROM upd WHERE state = 'pending' LIMIT 1) p)
            """).decode((Int, Int, Int, Int).self) where count > 0 {
            logger.warning("leases expired: tasks of a host that stopped answering go back to the queue",
                           metadata: ["tasks": "\(count)", "deadLettered": "\(dead)"])
        }
    }
}
