#if Postgres
import Foundation
import Multiprocessing
import PostgresNIO

// Running: a claimed group of one job's tasks in the local pool, and what each outcome means.
extension HostLoop {
    func run(_ job: HostJob?, _ tasks: [ClaimedTask]) async -> [TaskOutcomeRecord] {
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

    func run<J: Job>(_ type: J.Type, _ job: HostJob, _ tasks: [ClaimedTask]) async -> [TaskOutcomeRecord] {
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
    static func localPoolFault(_ reason: JobFailure.Reason) -> String? {
        switch reason {
        case let .workerStartFailed(why): return "no worker could start: \(why)"
        case .poolTerminated: return "the local pool was terminated"
        default: return nil
        }
    }

    func record<Output: Encodable>(for task: ClaimedTask, _ result: Result<Output, JobFailure>) -> TaskOutcomeRecord? {
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
            record.error = AttemptCause.text(reason: failure.reason.description, stderrTail: failure.stderrTail)
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
}
#endif  // Postgres
