import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The reactor's side of one ``WorkerProcess``: spawns it, sends its target once it says hello,
/// keeps its result and exit status for the callers waiting on them.
final class ProcessCore: WorkerConnectionDelegate, @unchecked Sendable {
    // @unchecked: `connection` is touched only on the reactor thread; `record` is a Mutex.

    struct Record {
        var pid: Int32?
        var spawnError: ProcessPoolError?
        var result: Result<Payload, JobFailure>?
        var exitStatus: ProcessExitStatus?
        var startWaiters: [CheckedContinuation<Void, Never>] = []
        var exitWaiters: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    }

    let record = Mutex(Record())
    let reactor: Reactor
    private let job: EncodedJob
    private let launch: WorkerLaunchConfiguration
    private var connection: WorkerConnection?
    private var saidHello = false
    private static let taskID: UInt64 = 1
    private static let jobID: UInt32 = 1

    init(reactor: Reactor, job: EncodedJob, launch: WorkerLaunchConfiguration) {
        self.reactor = reactor
        self.job = job
        self.launch = launch
    }

    func spawn() {
        reactor.assertInLoop()
        do {
            let spawned = try WorkerSpawner.spawn(launch)
            let connection = WorkerConnection(spawned: spawned, reactor: reactor, maxFrameSize: launch.maxFrameSize)
            connection.delegate = self
            self.connection = connection
            connection.activate()
            resolveStart { $0.pid = spawned.pid }
            // A worker that never says hello (it hangs before its loop starts) is killed.
            reactor.schedule(after: .seconds(10)) { [weak self] in
                guard let self, !self.saidHello, let connection = self.connection else { return }
                connection.protocolViolation("no hello within 10 seconds")
            }
        } catch {
            resolveStart { $0.spawnError = error }
        }
    }

    private func resolveStart(_ update: (inout Record) -> Void) {
        let waiters = record.withLock { record in
            update(&record)
            defer { record.startWaiters.removeAll() }
            return record.startWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func signal(_ signal: Int32) {
        connection?.kill(signal)
    }

    // MARK: WorkerConnectionDelegate

    func worker(_ worker: WorkerConnection, received frame: Frame) {
        do {
            switch frame.kind {
            case .hello:
                let hello = try HelloMessage(decoding: frame.body)
                saidHello = true
                guard hello.version == Frame.protocolVersion, hello.buildID == ExecutableIdentity.current else {
                    worker.protocolViolation("worker of another build or protocol")
                    return
                }
                worker.send(.defineJob, DefineJobMessage(jobID: Self.jobID, typeName: job.typeName, blob: job.blob).encode())
                worker.send(.runTarget, RunTargetMessage(taskID: Self.taskID, jobID: Self.jobID, exitAfter: true).encode())
            case .results:
                let message = try ResultsMessage(decoding: frame.body)
                guard message.taskID == Self.taskID, message.final else {
                    worker.protocolViolation("unexpected results for task \(message.taskID)")
                    return
                }
                // A target is one item, whose output is one value.
                _ = try ResultsValidation.check(message, resolvedUpTo: 0, range: 0..<1, outputsAreArray: false)
                let outcome: Result<Payload, JobFailure>
                if let failure = message.failures.first {
                    let reason: JobFailure.Reason = failure.kind == .threw
                        ? .threw(errorType: failure.typeName, message: failure.message)
                        : .jobUnavailable("\(failure.typeName): \(failure.message)")
                    outcome = .failure(JobFailure(reason: reason, jobType: job.displayName, workerPID: worker.pid))
                } else {
                    outcome = .success(message.outputs)
                }
                record.withLock { if $0.result == nil { $0.result = outcome } }
            case .fatal:
                let message = try FatalMessage(decoding: frame.body)
                setFailureIfNone(.protocolViolation(message.message), worker: worker)
            default:
                worker.protocolViolation("a worker sent a frame of kind \(frame.kind)")
            }
        } catch let error as ProtocolError {
            worker.protocolViolation(error.reason)
        } catch {
            worker.protocolViolation("malformed \(frame.kind) frame: \(error)")
        }
    }

    func worker(_ worker: WorkerConnection, violatedProtocol reason: String) {
        setFailureIfNone(.protocolViolation(reason), worker: worker)
    }

    func worker(_ worker: WorkerConnection, exited status: ProcessExitStatus) {
        let failure = JobFailure(reason: .crashed(status), jobType: job.displayName, workerPID: worker.pid,
                                 stderrTail: worker.stderrTail.lines)
        let waiters = record.withLock { record in
            if record.result == nil { record.result = .failure(failure) }
            record.exitStatus = status
            defer { record.exitWaiters.removeAll() }
            return record.exitWaiters.map(\.continuation)
        }
        connection = nil
        for waiter in waiters { waiter.resume() }
    }

    private func setFailureIfNone(_ reason: JobFailure.Reason, worker: WorkerConnection) {
        record.withLock { record in
            if record.result == nil {
                record.result = .failure(JobFailure(reason: reason, jobType: job.displayName, workerPID: worker.pid))
            }
        }
    }
}
