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
                logger.error("worker \(slot.pid) stopped: \(message.message)")
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

    private func handleHello(_ hello: HelloMessage, slot: WorkerSlot) throws {
        // A worker being stopped (the pool terminated while it started) may still say hello;
        // one that was ready has said it already, and a second is not a hello but stray bytes.
        if slot.phase == .exiting && !slot.startedUp { return }
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
            // The initializer is a target: one item, whose output is one value.
            _ = try ResultsValidation.check(message, resolvedUpTo: 0, range: 0..<1, outputsAreArray: false)
            if let failure = message.failures.first {
                let why = "the initializer failed: \(failure.typeName): \(failure.message)"
                logger.error("worker \(slot.pid): \(why)")
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
        let call = calls[task.spec.callID]
        let resolved = try ResultsValidation.check(message, resolvedUpTo: task.resolvedUpTo, range: task.spec.range,
                                                   outputsAreArray: call.map { $0.kind == .chunks } ?? false)
        task.resolvedUpTo = resolved.upperBound
        if let call, !call.ended {
            call.recordTiming(items: resolved.count, nanos: message.elapsedNanos)
            call.sink.deliver(ResultPiece(message, spec: task.spec, jobType: call.jobType,
                                          reportsIndex: call.options.reportsIndex, workerPID: slot.pid))
        }
        if message.final {
            slot.inFlight.remove(at: position)
            taskFinished(task)
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
