import CMultiprocessing

/// A worker died: decide, item by item, what failed and what runs again elsewhere.
///
/// The worker runs its tasks in order, so of the tasks it held only the one its status page
/// names was running, and of that task only the named item. That item fails (or is retried);
/// every other unfinished item goes back to the front of its call's queue.
extension PoolCore {
    /// Re-runs of one task after deaths that named none of its items, before its items fail.
    static let maxUnblamedCrashes = 3

    func worker(_ worker: WorkerConnection, exited status: ProcessExitStatus) {
        guard let position = slots.firstIndex(where: { $0.connection === worker }) else { return }
        let slot = slots.remove(at: position)
        let stderr = worker.stderrTail.lines
        let cause = crashReason(status: status, stderr: stderr)

        if !slot.startedUp {
            let why: String
            if case let .startupFailure(text) = slot.killReason { why = text } else { why = "worker \(status)" }
            switch slot.killReason {
            case .terminate?, .cancelled?: break
            default:
                if case .running = state { startupFailed(why, stderr: stderr) }
                else if case .closing = state { startupFailed(why, stderr: stderr) }
            }
        } else if slot.killReason == nil {
            noteCrash()
            statistics.workerCrashes += 1
            if !slot.inFlight.isEmpty || status != .exited(0) {
                Self.logger.warning("worker \(slot.pid) \(status) with \(slot.inFlight.count) task(s) in hand")
            }
        }

        let snapshot = worker.status()
        // The task the death is charged to: the one the status page names, or, when it names
        // none of them (a death between tasks, or no page), the first in line.
        let named = slot.inFlight.first { snapshot?.isRunning(taskID: $0.taskID) == true }
        let suspect = named == nil ? slot.inFlight.first?.taskID : nil
        for task in slot.inFlight {
            guard let call = calls[task.spec.callID] else { continue }
            call.inFlight -= 1
            if !call.ended {
                settle(task, of: call, slot: slot, snapshot: snapshot, cause: cause, stderr: stderr,
                       suspected: task.taskID == suspect)
            }
            if call.isComplete { completeCall(call) }
        }
        slot.inFlight.removeAll()

        replaceWorkers()
        retireIdleWorkersIfDone()
        dispatch()
        resolveJoinersIfDone()
    }

    private func settle(_ task: InFlightTask, of call: CallState, slot: WorkerSlot, snapshot: StatusPage.Snapshot?,
                        cause: JobFailure.Reason, stderr: [String], suspected: Bool) {
        let unresolved = task.resolvedUpTo..<task.spec.range.upperBound
        guard !unresolved.isEmpty else { return }

        // Which item was running: the page says, or (no page) the first unresolved of the suspect.
        var running: Int?
        if let snapshot {
            if snapshot.isRunning(taskID: task.taskID) {
                running = min(max(Int(snapshot.itemOffset), unresolved.lowerBound), unresolved.upperBound - 1)
            }
        } else if suspected {
            running = unresolved.lowerBound
        }

        guard let running else {
            // Not running (not started, or done but its results not yet sent): it runs again
            // elsewhere. A task that keeps being first in line when workers die without naming
            // an item (a death before its first item) fails in the end.
            var spec = task.spec
            if slot.killReason == nil && suspected {
                spec.unblamedCrashes += 1
                if spec.unblamedCrashes > Self.maxUnblamedCrashes {
                    fail(range: unresolved, of: spec, call: call, reason: cause, slot: slot, stderr: stderr)
                    return
                }
            }
            requeue(spec, range: unresolved)
            return
        }

        requeue(task.spec, range: unresolved.lowerBound..<running)
        settleRunningItem(running, of: task, call: call, slot: slot, cause: cause, stderr: stderr)
        requeue(task.spec, range: (running + 1)..<unresolved.upperBound)
    }

    private func settleRunningItem(_ item: Int, of task: InFlightTask, call: CallState, slot: WorkerSlot,
                                   cause: JobFailure.Reason, stderr: [String]) {
        let reason: JobFailure.Reason
        switch slot.killReason {
        case nil, .startupFailure?:
            reason = cause
        case let .protocolViolation(text)?:
            reason = .protocolViolation(text)
        case let .timeout(taskID, offset, limit)?:
            guard taskID == task.taskID, offset == item else {
                // The timed-out item finished just before the kill; this one is innocent.
                requeue(task.spec, range: item..<(item + 1))
                return
            }
            reason = .timedOut(limit)
            statistics.timeouts += 1
        case .cancelled?, .recycle?, .terminate?:
            requeue(task.spec, range: item..<(item + 1))
            return
        }
        if task.spec.attempts.count < call.options.retries {
            var retry = task.spec
            retry.attempts.append(reason)
            statistics.retries += 1
            requeue(retry, range: item..<(item + 1))
            return
        }
        fail(range: item..<(item + 1), of: task.spec, call: call, reason: reason, slot: slot, stderr: stderr)
    }

    private func fail(range: Range<Int>, of spec: TaskSpec, call: CallState, reason: JobFailure.Reason,
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

/// The encoding of an empty array, for pieces that carry only failures.
enum EmptyArrayEncoding {
    static let bytes: [UInt8] = (try? BinaryEncoder().encode([Int]())) ?? []
}
