import CMultiprocessing

/// A worker died: decide, item by item, what failed and what runs again elsewhere (the rule is
/// ``Blame``'s).
extension PoolCore {
    /// Deaths charged to nobody while a task was first in line, after which its first item is
    /// charged: a bound, so that no task is re-queued for ever.
    static let maxUnblamedCrashes = 3

    func worker(_ worker: WorkerConnection, exited status: ProcessExitStatus) {
        guard let position = slots.firstIndex(where: { $0.connection === worker }) else { return }
        let slot = slots.remove(at: position)
        workersChanged()
        let stderr = worker.stderrTail.lines
        let snapshot = worker.status()
        let cause = deathReason(status: status, stderr: stderr, slot: slot, page: snapshot)

        if !slot.startedUp {
            let why: String
            if case let .startupFailure(text) = slot.killReason { why = text } else { why = "worker \(status)" }
            switch slot.killReason {
            case .terminate?, .cancelled?: break
            default:
                if case .running = state { startupFailed(why, stderr: stderr) }
                else if case .closing = state { startupFailed(why, stderr: stderr) }
            }
        } else if slot.killReason == nil || slot.killReason?.isProtocolViolation == true {
            // Every death the pool did not ask for slows the respawns of a crash loop.
            noteCrash()
            statistics.workerCrashes += 1
            if !slot.inFlight.isEmpty || status != .exited(0) {
                logger.warning("worker \(slot.pid) \(status) with \(slot.inFlight.count) task(s) in hand: \(cause)")
            }
        }

        let tasks = slot.inFlight
        slot.inFlight.removeAll()
        settle(tasks, slot: slot, snapshot: snapshot, cause: cause, stderr: stderr)
        for task in tasks {
            guard let call = calls[task.spec.callID] else { continue }
            call.inFlight -= 1
            if call.isComplete { completeCall(call) }
        }

        replaceWorkers()
        retireIdleWorkersIfDone()
        dispatch()
        resolveJoinersIfDone()
    }

    /// Charges the death to whom ``Blame`` names, and queues every other undelivered item again.
    private func settle(_ tasks: [InFlightTask], slot: WorkerSlot, snapshot: StatusPage.Snapshot?,
                        cause: JobFailure.Reason, stderr: [String]) {
        func live(_ task: InFlightTask) -> CallState? {
            guard let call = calls[task.spec.callID], !call.ended else { return nil }
            return call
        }
        func requeueAll(except skipped: (Int, Range<Int>)? = nil) {
            // Back to the front of their calls' queues, in their order.
            for (index, task) in tasks.enumerated().reversed() {
                let unresolved = task.resolvedUpTo..<task.spec.range.upperBound
                if let (skippedTask, range) = skipped, skippedTask == index {
                    requeue(task.spec, range: range.upperBound..<unresolved.upperBound)
                    requeue(task.spec, range: unresolved.lowerBound..<range.lowerBound)
                } else {
                    requeue(task.spec, range: unresolved)
                }
            }
        }

        switch slot.killReason {
        case .cancelled?, .recycle?, .terminate?:
            requeueAll()
            return
        case let .timeout(taskID, offset, _)?:
            // The timed-out item, if it was still running; the others are innocent.
            guard let index = tasks.firstIndex(where: { $0.taskID == taskID }),
                  (tasks[index].resolvedUpTo..<tasks[index].spec.range.upperBound).contains(offset) else {
                requeueAll()
                return
            }
            requeueAll(except: (index, offset..<(offset + 1)))
            if let call = live(tasks[index]) { charge(offset, of: tasks[index].spec, call: call, slot: slot, cause: cause, stderr: stderr) }
            return
        case nil, .startupFailure?, .protocolViolation?:
            break
        }

        let evidence = tasks.map { Blame.Task(taskID: $0.taskID, unresolved: $0.resolvedUpTo..<$0.spec.range.upperBound) }
        switch Blame.verdict(tasks: evidence, page: snapshot, unreadable: slot.killReason?.isProtocolViolation == true) {
        case let .item(index, offset):
            requeueAll(except: (index, offset..<(offset + 1)))
            if let call = live(tasks[index]) { charge(offset, of: tasks[index].spec, call: call, slot: slot, cause: cause, stderr: stderr) }
        case let .suspects(suspects):
            // Each runs again alone, where a second death names it; the run among others counts.
            for suspect in suspects.reversed() {
                let task = tasks[suspect.task]
                for offset in suspect.offsets.reversed() {
                    var spec = task.spec
                    spec.isolated = true
                    spec.suspectRuns += 1
                    requeue(spec, range: offset..<(offset + 1))
                }
            }
            for (index, task) in tasks.enumerated().reversed() {
                let unresolved = task.resolvedUpTo..<task.spec.range.upperBound
                let taken = suspects.filter { $0.task == index }.map { $0.offsets }
                var low = unresolved.lowerBound
                var rest: [Range<Int>] = []
                for range in taken.sorted(by: { $0.lowerBound < $1.lowerBound }) {
                    rest.append(low..<range.lowerBound)
                    low = range.upperBound
                }
                rest.append(low..<unresolved.upperBound)
                for range in rest.reversed() { requeue(task.spec, range: range) }
            }
        case let .job(jobID):
            requeueAll()
            jobDefinitionKilledWorker(jobID, cause: cause)
        case .nobody:
            guard let first = tasks.first, let call = live(first) else {
                requeueAll()
                return
            }
            var spec = first.spec
            spec.unblamedCrashes += 1
            if spec.unblamedCrashes > Self.maxUnblamedCrashes {
                // Workers keep dying while this task is first in line, naming nobody: its first
                // item is charged (one item, not the task).
                let offset = first.resolvedUpTo
                requeueAll(except: (0, offset..<(offset + 1)))
                charge(offset, of: spec, call: call, slot: slot, cause: cause, stderr: stderr)
            } else {
                var rest = tasks
                rest[0].spec = spec
                for task in rest.reversed() {
                    requeue(task.spec, range: task.resolvedUpTo..<task.spec.range.upperBound)
                }
            }
        }
    }

    /// The item fails with `cause`, or runs again if it has attempts left.
    private func charge(_ item: Int, of spec: TaskSpec, call: CallState, slot: WorkerSlot,
                        cause: JobFailure.Reason, stderr: [String]) {
        if case .timedOut = cause { statistics.timeouts += 1 }
        var spec = spec
        // Its runs among other suspects died of the same.
        spec.attempts += Array(repeating: cause, count: spec.suspectRuns)
        spec.suspectRuns = 0
        if spec.attempts.count < call.options.retries {
            spec.attempts.append(cause)
            statistics.retries += 1
            // Its retries run alone: a retry's death among other items would make it a suspect,
            // and that run would count as an attempt a second time (charged, then suspected).
            spec.isolated = true
            requeue(spec, range: item..<(item + 1))
            return
        }
        fail(range: item..<(item + 1), of: spec, call: call, reason: cause, slot: slot, stderr: stderr)
    }

    /// A worker died decoding a job value: the call fails once the deaths exceed its retries
    /// (every worker would die the same way).
    private func jobDefinitionKilledWorker(_ jobID: UInt32, cause: JobFailure.Reason) {
        for call in calls.values where call.jobID == jobID && !call.ended {
            call.definitionDeaths += 1
            if call.definitionDeaths > call.options.retries {
                endCall(call, error: JobFailure(reason: .jobUnavailable("a worker died decoding the job value: \(cause)"),
                                                jobType: call.jobType))
            }
        }
    }

    func fail(range: Range<Int>, of spec: TaskSpec, call: CallState, reason: JobFailure.Reason,
                      slot: WorkerSlot, stderr: [String]) {
        let base = spec.chunk.firstIndex
        let failures = range.map { offset -> (index: Int, failure: JobFailure) in
            let index = base + offset
            return (index, JobFailure(reason: reason, jobType: call.jobType,
                                      index: call.options.reportsIndex ? index : nil, workerPID: slot.pid,
                                      stderrTail: stderr, earlierAttempts: spec.attempts))
        }
        let empty = call.kind == .target ? Payload([]) : Payload(EmptyArrayEncoding.bytes)
        call.sink.deliver(ResultPiece(firstIndex: base + range.lowerBound, count: range.count,
                                      failures: failures, outputs: empty))
    }

    /// What the item charged with a death failed of.
    private func deathReason(status: ProcessExitStatus, stderr: [String], slot: WorkerSlot,
                             page: StatusPage.Snapshot?) -> JobFailure.Reason {
        switch slot.killReason {
        case let .timeout(_, _, limit)?: return .timedOut(limit)
        case let .protocolViolation(text)?: return .protocolViolation(text)
        default: break
        }
        if page?.channelLost == true {
            return .protocolViolation("the job closed or replaced its worker's channel to the pool (worker \(status))")
        }
        return crashReason(status: status, stderr: stderr)
    }

    /// What killed a worker, from its exit status and its last words.
    func crashReason(status: ProcessExitStatus, stderr: [String]) -> JobFailure.Reason {
        let limit = configuration.launch.memoryLimitBytes
        if limit > 0 {
            let text = stderr.joined(separator: "\n")
            if ["failed to allocate", "allocate memory", "out of memory", "bad_alloc"].contains(where: text.contains) {
                return .outOfMemory(limitBytes: limit)
            }
        }
        return .crashed(status)
    }

}
