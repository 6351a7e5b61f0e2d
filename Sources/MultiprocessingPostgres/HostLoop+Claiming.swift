#if Postgres
import Logging
import Multiprocessing
import PostgresNIO

// Claiming: taking batches of pending tasks, and handing them to the local pool.
extension HostLoop {
    func claimLoop() async throws {
        // After a failed claim (the database restarting, say): from 250 ms, doubled up to 5 s.
        // A claim whose reply was lost leaves rows this host does not hold: their leases lapse.
        var pause = Duration.milliseconds(250)
        while !Task.isCancelled && !WorkerHost.isDraining && state.withLock({ $0.failure == nil }) {
            // No more than the free workers (and the prefetch) can start: the rest stays pending
            // for other hosts. A host waits for half its target to be free, to claim in batches.
            let target = pacer.target
            let (inFlight, unwritten) = state.withLock { ($0.inFlight, $0.outcomes.count) }
            let room = target - inFlight
            if room >= max(1, min(options.claimBatch, target / 2)) && unwritten < outcomeBufferLimit {
                do {
                    let began = ContinuousClock.now
                    let claimed = try await claim(limit: min(room, options.claimBatch))
                    pacer.claimed(in: ContinuousClock.now - began)
                    pause = .milliseconds(250)
                    if !claimed.isEmpty {
                        await dispatch(claimed)
                        continue
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("claiming failed; trying again", metadata: [
                        "database": "\(database.endpoint)", "cause": "\(Outage.describe(error))", "retryIn": "\(pause)"])
                    try? await Task.sleep(for: pause)
                    pause = min(pause * 2, .seconds(5))
                    continue
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
    func localPoolFailed(_ why: String) {
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
    /// Jobs without a limit on their running tasks and jobs with one are claimed apart (see
    /// ``claimSQL(limit:limitedJobs:)``); the limited ones only while one is open, and first in
    /// every other round, so that neither kind starves the other.
    func claim(limit: Int) async throws -> [ClaimedTask] {
        let limitedFirst = limitedJobsOpen.load(ordering: .relaxed) && claimRounds.add(1, ordering: .relaxed).newValue % 2 == 0
        var claimed: [ClaimedTask] = []
        if limitedFirst { claimed = try await claimLimited(limit: limit) }
        if claimed.count < limit { claimed += try await claimUnlimited(limit: limit - claimed.count) }
        if !limitedFirst && claimed.count < limit && limitedJobsOpen.load(ordering: .relaxed) {
            claimed += try await claimLimited(limit: limit - claimed.count)
        }
        return claimed
    }

    private func claimUnlimited(limit: Int) async throws -> [ClaimedTask] {
        let query = claimSQL(limit: limit, limitedJobs: false)
        let rows = try await bounded("claiming tasks") { [database] in try await Self.rows(database.execute(query)) }
        return record(rows)
    }

    /// A claim of limited jobs' tasks, in a transaction that holds the queue's limited-claim
    /// lock: the running tasks it counts cannot grow meanwhile (claims are the only way a task
    /// starts running; its statement sees what the claims before it committed).
    private func claimLimited(limit: Int) async throws -> [ClaimedTask] {
        let (lock, query) = (limitedClaimLockSQL(), claimSQL(limit: limit, limitedJobs: true))
        let rows = try await bounded("claiming tasks of limited jobs") { [database, logger] in
            try await database.client.withTransaction(logger: logger) { connection -> [ClaimRow] in
                try await connection.query(lock, logger: logger)
                return try await Self.rows(connection.query(query, logger: logger))
            }
        }
        return record(rows)
    }

    typealias ClaimRow = (jobID: Int64?, index: Int32?, input: ByteBuffer?, limitedOpen: Bool)

    private static func rows(_ sequence: PostgresRowSequence) async throws -> [ClaimRow] {
        var rows: [ClaimRow] = []
        for try await row in sequence.decode((Int64?, Int32?, ByteBuffer?, Bool).self) { rows.append(row) }
        return rows
    }

    /// The tasks a claim's rows hold, now held by this host; notes whether a limited job is open.
    private func record(_ rows: [ClaimRow]) -> [ClaimedTask] {
        if let open = rows.first?.limitedOpen { limitedJobsOpen.store(open, ordering: .relaxed) }
        let claimed = rows.compactMap { row -> ClaimedTask? in
            guard let jobID = row.jobID, let index = row.index, let input = row.input else { return nil }
            return ClaimedTask(jobID: jobID, index: index, input: input)
        }
        if !claimed.isEmpty {
            state.withLock { state in
                state.inFlight += claimed.count
                state.held.formUnion(claimed.map(\.key))
            }
        }
        return claimed
    }

    func dispatch(_ claimed: [ClaimedTask]) async {
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
        // In the claim's order (by priority, then in turn across jobs), so that the local pool
        // starts them in that order too.
        var seen: Set<Int64> = []
        let order = claimed.map(\.jobID).filter { seen.insert($0).inserted }
        for jobID in order {
            let tasks = groups[jobID] ?? []
            let job = state.withLock { $0.jobs[jobID] }
            state.withLock { state in
                let group = state.nextGroup
                state.nextGroup += 1
                let work = Task { [self] in
                    let began = ContinuousClock.now
                    let records = await run(job, tasks)
                    pacer.ran(tasks.count, in: ContinuousClock.now - began)
                    finishGroup(jobID: jobID, group: group, tasks: tasks, records: records)
                }
                state.running[jobID, default: [:]][group] = work
            }
        }
    }

    func loadJobs(_ ids: [Int64]) async throws {
        let query = loadJobsSQL(ids)
        let rows = try await bounded("loading job definitions") { [database] in
            var rows: [(Int64, String, String, String, ByteBuffer, Int64?, String)] = []
            for try await row in try await database.execute(query).decode((Int64, String, String, String, ByteBuffer, Int64?, String).self) {
                rows.append(row)
            }
            return rows
        }
        for (id, build, type, name, blob, timeout, jobState) in rows {
            let job = HostJob(id: id, buildIdentity: build, typeName: type, name: name,
                              blob: Array(buffer: blob), timeoutMS: timeout, cancelled: jobState == "cancelled")
            state.withLock { $0.jobs[id] = job }
        }
    }

    func finishGroup(jobID: Int64, group: UInt64, tasks: [ClaimedTask], records: [TaskOutcomeRecord]) {
        state.withLock { state in
            state.inFlight -= tasks.count
            state.running[jobID]?[group] = nil
            if state.running[jobID]?.isEmpty == true { state.running[jobID] = nil }
            // A cancelled job's outcomes are not wanted (its tasks are already marked cancelled).
            let kept = state.cancelled.contains(jobID) ? [] : records
            state.outcomes.append(contentsOf: kept)
            // A task with no outcome to write is no longer held: its lease lapses.
            state.held.subtract(Set(tasks.map(\.key)).subtracting(kept.map(\.key)))
            Self.trimJobs(&state)
        }
        writeBell.ring()
        claimBell.ring()
    }

    /// Forgets the rows of jobs with nothing running here, past ``cachedJobsLimit``.
    static func trimJobs(_ state: inout State) {
        guard state.jobs.count > cachedJobsLimit else { return }
        for id in state.jobs.keys where state.running[id] == nil {
            state.jobs[id] = nil
            state.cancelled.remove(id)
            if state.jobs.count <= cachedJobsLimit / 2 { break }
        }
    }

    func cancelJob(_ jobID: Int64) {
        let works = state.withLock { state -> [Task<Void, Never>] in
            // A job not loaded here needs no note: its row says cancelled when it is loaded.
            if state.jobs[jobID] != nil || state.running[jobID] != nil { state.cancelled.insert(jobID) }
            state.jobs[jobID]?.cancelled = true
            return state.running[jobID].map { Array($0.values) } ?? []
        }
        if !works.isEmpty { logger.info("job cancelled: stopping its tasks here", metadata: ["job": "\(jobID)", "groups": "\(works.count)"]) }
        for work in works { work.cancel() }
    }
}
#endif  // Postgres
