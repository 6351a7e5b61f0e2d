import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// What workers tell the pool: hello, results, dropped tasks, and their deaths.
extension PoolCore: WorkerConnectionDelegate {
    func slot(for connection: WorkerConnection) -> WorkerSlot? {
        slots.first { $0.connection === connection }
    }

    func worker(_ worker: WorkerConnection, received frame: Frame) {
        guard let slot = slot(for: worker) else { return }
        do {
            switch frame.kind {
            case .hello:
                try handleHello(HelloMessage(decoding: frame.body), slot: slot)
            case .results:
                try handleResults(ResultsMessage(decoding: frame.body), slot: slot)
            case .dropped:
                handleDropped(try TaskListMessage(decoding: frame.body).taskIDs, slot: slot)
            case .fatal:
                let message = try FatalMessage(decoding: frame.body)
                Self.logger.error("worker \(slot.pid) stopped: \(message.message)")
                if slot.killReason == nil { slot.killReason = .protocolViolation(message.message) }
            default:
                worker.protocolViolation("a worker sent a frame of kind \(frame.kind)")
            }
        } catch let error as ProtocolError {
            worker.protocolViolation(error.reason)
        } catch {
            worker.protocolViolation("malformed \(frame.kind) frame: \(error)")
        }
    }

    struct ProtocolError: Error {
        var reason: String
    }

    private func handleHello(_ hello: HelloMessage, slot: WorkerSlot) throws {
        // A worker being stopped (the pool terminated while it started) may still say hello.
        if slot.phase == .exiting { return }
        guard slot.phase == .starting else { throw ProtocolError(reason: "a second hello") }
        guard hello.version == Frame.protocolVersion, hello.buildID == ExecutableIdentity.current else {
            let why = "worker speaks protocol \(hello.version) of build \(hello.buildID); expected \(Frame.protocolVersion) of \(ExecutableIdentity.current)"
            kill(slot, reason: .startupFailure(why), grace: nil)
            return
        }
        if let initializerJobID {
            let taskID = allocateTaskID()
            if let definition = jobs.definition(initializerJobID) {
                slot.knownJobs.insert(initializerJobID)
                slot.connection.send(.defineJob, definition.encode())
            }
            slot.connection.send(.runTarget, RunTargetMessage(taskID: taskID, jobID: initializerJobID, exitAfter: false).encode())
            slot.phase = .initializing(taskID: taskID)
        } else {
            becomeReady(slot)
        }
    }

    private func becomeReady(_ slot: WorkerSlot) {
        slot.phase = .ready
        slot.startedUp = true
        noteStartedUp()
        if case .closing = state { retireIdleWorkersIfDone() }
        dispatch()
    }

    private func handleResults(_ message: ResultsMessage, slot: WorkerSlot) throws {
        if case let .initializing(initTaskID) = slot.phase {
            guard message.taskID == initTaskID, message.final else {
                throw ProtocolError(reason: "results for task \(message.taskID) during initialization")
            }
            if let failure = message.failures.first {
                let why = "the initializer failed: \(failure.typeName): \(failure.message)"
                Self.logger.error("worker \(slot.pid): \(why)")
                kill(slot, reason: .startupFailure(why), grace: nil)
            } else {
                becomeReady(slot)
            }
            return
        }
        guard let position = slot.inFlight.firstIndex(where: { $0.taskID == message.taskID }) else {
            throw ProtocolError(reason: "results for unknown task \(message.taskID)")
        }
        var task = slot.inFlight[position]
        let start = Int(message.start), end = start + Int(message.count)
        guard start == task.resolvedUpTo, end <= task.spec.range.upperBound else {
            throw ProtocolError(reason: "results for items \(start)..<\(end) of task \(task.taskID), expected from \(task.resolvedUpTo)")
        }
        if message.final && end != task.spec.range.upperBound {
            throw ProtocolError(reason: "final results end at \(end), the task at \(task.spec.range.upperBound)")
        }
        task.resolvedUpTo = end
        let call = calls[task.spec.callID]
        if let call, !call.ended {
            call.recordTiming(items: Int(message.count), nanos: message.elapsedNanos)
            call.sink.deliver(piece(for: message, task: task, call: call, slot: slot))
        }
        if message.final {
            slot.inFlight.remove(at: position)
            slot.tasksDone += 1
            statistics.tasksCompleted += 1
            if let call {
                call.inFlight -= 1
                if call.isComplete { completeCall(call) }
            }
            recycleIfNeeded(slot)
            retireIdleWorkersIfDone()
        } else {
            slot.inFlight[position] = task
        }
        dispatch()
    }

    private func piece(for message: ResultsMessage, task: InFlightTask, call: CallState, slot: WorkerSlot) -> ResultPiece {
        let base = task.spec.chunk.firstIndex
        let failures = message.failures.map { record -> (index: Int, failure: JobFailure) in
            let index = base + Int(record.offset)
            let reason: JobFailure.Reason
            switch record.kind {
            case .threw: reason = .threw(errorType: record.typeName, message: record.message)
            case .inputNotDecodable, .outputNotEncodable: reason = .codingFailed(record.message)
            case .unknownJobType, .jobNotDecodable, .jobNotDefined: reason = .jobUnavailable(record.message)
            }
            return (index, JobFailure(reason: reason, jobType: call.jobType,
                                      index: call.options.reportsIndex ? index : nil, workerPID: slot.pid,
                                      earlierAttempts: task.spec.attempts))
        }
        return ResultPiece(firstIndex: base + Int(message.start), count: Int(message.count),
                           failures: failures, outputs: message.outputs)
    }

    private func handleDropped(_ taskIDs: [UInt64], slot: WorkerSlot) {
        for id in taskIDs {
            guard let position = slot.inFlight.firstIndex(where: { $0.taskID == id }) else { continue }
            let task = slot.inFlight.remove(at: position)
            if let call = calls[task.spec.callID] {
                call.inFlight -= 1
                // A call that still wants these items (not cancelled) gets them run elsewhere.
                requeue(task.spec, range: task.resolvedUpTo..<task.spec.range.upperBound)
                if call.isComplete { completeCall(call) }
            }
        }
        retireIdleWorkersIfDone()
        dispatch()
    }

    func worker(_ worker: WorkerConnection, violatedProtocol reason: String) {
        guard let slot = slot(for: worker) else { return }
        if slot.killReason == nil { slot.killReason = .protocolViolation(reason) }
        slot.phase = .exiting
    }
}
