import DequeModule
#if canImport(Glibc)
import Glibc
#endif

/// The parent's side of one hosted actor: starts its process, sends it calls over the worker
/// channel in order, matches replies, and supervises it (crashes, timeouts, restarts).
final class ActorHostCore: WorkerConnectionDelegate, @unchecked Sendable {
    // @unchecked: every `var` below is touched only on the reactor thread (work reaches it
    // through `reactor.execute`, and the connection's callbacks run there); the `let`s never change.

    private struct Call {
        var message: ActorCallMessage
        var continuation: CheckedContinuation<ActorReplyMessage, any Error>
    }

    let id: ProcessActorID
    let typeName: String
    let displayName: String
    let options: ProcessActorOptions
    let reactor: Reactor
    private let launch: WorkerLaunchConfiguration

    private var connection: WorkerConnection?
    private var helloSeen = false
    private var created = false
    /// Calls not yet sent to the current process (it is starting, or restarting).
    private var waiting = Deque<Call>()
    /// Calls sent, in order; the first is the one the actor runs (one at a time, in order).
    private var sent = Deque<Call>()
    private var nextCallID: UInt64 = 1
    private var restarts = 0
    private var stopped: ProcessActorError?
    private var shuttingDown = false
    private var startWaiter: CheckedContinuation<Void, any Error>?
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    private var callTimer: UInt64?
    private var helloTimer: UInt64?
    private var timedOut: Duration?
    private var violation: String?
    private static let createCallID: UInt64 = 0

    init(id: ProcessActorID, typeName: String, displayName: String, options: ProcessActorOptions,
         reactor: Reactor = .shared, launch: WorkerLaunchConfiguration = WorkerLaunchConfiguration()) {
        self.id = id
        self.typeName = typeName
        self.displayName = displayName
        self.options = options
        self.reactor = reactor
        self.launch = launch
    }

    // MARK: Called from any thread

    /// Starts the process and waits until the actor exists in it.
    func start() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            reactor.execute {
                self.startWaiter = continuation
                self.spawnProcess()
            }
        }
    }

    /// Sends a call and waits for its reply.
    func call(_ message: ActorCallMessage) async throws -> ActorReplyMessage {
        try await withCheckedThrowingContinuation { continuation in
            reactor.execute { self.submit(Call(message: message, continuation: continuation)) }
        }
    }

    /// Lets the calls already sent finish, fails later ones, and waits for the process to exit.
    func shutDown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            reactor.execute {
                self.shuttingDown = true
                self.stop(.actorStopped(self.id, cause: "its system was shut down"), failSent: false)
                guard let connection = self.connection, connection.isAlive else {
                    continuation.resume()
                    return
                }
                self.exitWaiters.append(continuation)
                // The worker loop exits once it has run what it was sent.
                connection.send(.shutdown, [])
            }
        }
    }

    /// Kills the process at once (the system was released).
    func kill() {
        reactor.execute {
            self.shuttingDown = true
            self.stop(.actorStopped(self.id, cause: "its system was released"), failSent: false)
            self.connection?.kill(SIGKILL)
        }
    }

    // MARK: Reactor thread

    private func submit(_ call: Call) {
        if let stopped {
            call.continuation.resume(throwing: stopped)
            return
        }
        var call = call
        call.message.callID = nextCallID
        nextCallID += 1
        if helloSeen, let connection, connection.isAlive {
            send(call, on: connection)
        } else {
            waiting.append(call)
        }
    }

    private func send(_ call: Call, on connection: WorkerConnection) {
        connection.send(.actorCall, call.message.encode())
        sent.append(call)
        if sent.count == 1 { armCallTimer() }
    }

    private func spawnProcess() {
        reactor.assertInLoop()
        guard stopped == nil else { return }
        do {
            let spawned = try WorkerSpawner.spawn(launch)
            let connection = WorkerConnection(spawned: spawned, reactor: reactor, maxFrameSize: launch.maxFrameSize)
            connection.delegate = self
            self.connection = connection
            helloSeen = false
            created = false
            timedOut = nil
            violation = nil
            connection.activate()
            // A process that never says hello (it hangs before its loop starts) is killed.
            helloTimer = reactor.schedule(after: .seconds(10)) { [weak self, weak connection] in
                guard let self, let connection, connection === self.connection, !self.helloSeen else { return }
                connection.protocolViolation("no hello within 10 seconds")
            }
        } catch {
            let startWaiter = self.startWaiter
            self.startWaiter = nil
            stop(.actorStopped(id, cause: "its process could not start: \(error)"), failSent: true)
            startWaiter?.resume(throwing: error)
        }
    }

    /// The running call's clock: it starts when the actor begins the call (the previous one replied).
    private func armCallTimer() {
        if let callTimer { reactor.cancelTimer(callTimer) }
        callTimer = nil
        guard let limit = options.callTimeout, created, !sent.isEmpty, let connection else { return }
        callTimer = reactor.schedule(after: limit) { [weak self, weak connection] in
            guard let self, let connection, connection === self.connection else { return }
            self.callTimer = nil
            self.timedOut = limit
            connection.kill(SIGKILL)
        }
    }

    /// The actor is gone for good: every call not yet answered fails with `error` (those sent to
    /// a process still running are left to finish unless `failSent`).
    private func stop(_ error: ProcessActorError, failSent: Bool) {
        if stopped == nil { stopped = error }
        let failing = Array(waiting) + (failSent ? Array(sent) : [])
        waiting.removeAll()
        if failSent { sent.removeAll() }
        for call in failing { call.continuation.resume(throwing: error) }
        if let startWaiter {
            self.startWaiter = nil
            startWaiter.resume(throwing: error)
        }
    }

    // MARK: WorkerConnectionDelegate

    func worker(_ worker: WorkerConnection, received frame: Frame) {
        guard worker === connection else { return }
        do {
            switch frame.kind {
            case .hello:
                let hello = try HelloMessage(decoding: frame.body)
                guard hello.version == Frame.protocolVersion, hello.buildID == ExecutableIdentity.current else {
                    worker.protocolViolation("worker of another build or protocol")
                    return
                }
                helloSeen = true
                if let helloTimer { reactor.cancelTimer(helloTimer) }
                helloTimer = nil
                worker.send(.actorCreate, ActorCreateMessage(callID: Self.createCallID, id: id, typeName: typeName).encode())
                // Calls queued while the process started follow the creation, in order.
                while let call = waiting.popFirst() { send(call, on: worker) }
            case .actorReply:
                let reply = try ActorReplyMessage(decoding: frame.body)
                if reply.callID == Self.createCallID && !created {
                    handleCreation(reply, worker: worker)
                    return
                }
                guard let head = sent.first, head.message.callID == reply.callID else {
                    worker.protocolViolation("a reply to call \(reply.callID), which is not the one running")
                    return
                }
                sent.removeFirst()
                armCallTimer()
                head.continuation.resume(returning: reply)
            case .fatal:
                violation = try FatalMessage(decoding: frame.body).message
            default:
                worker.protocolViolation("an actor's process sent a frame of kind \(frame.kind)")
            }
        } catch {
            worker.protocolViolation("malformed \(frame.kind) frame: \(error)")
        }
    }

    private func handleCreation(_ reply: ActorReplyMessage, worker: WorkerConnection) {
        guard reply.kind == .created else {
            // The type is there (the parent checked) but the child could not make it: no restart helps.
            stop(.actorStopped(id, cause: "its process could not create it: \(reply.message)"), failSent: true)
            worker.kill(SIGKILL)
            return
        }
        created = true
        armCallTimer()
        if let startWaiter {
            self.startWaiter = nil
            startWaiter.resume()
        }
    }

    func worker(_ worker: WorkerConnection, violatedProtocol reason: String) {
        guard worker === connection else { return }
        if violation == nil { violation = reason }
    }

    func worker(_ worker: WorkerConnection, exited status: ProcessExitStatus) {
        guard worker === connection else { return }
        connection = nil
        if let helloTimer { reactor.cancelTimer(helloTimer) }
        if let callTimer { reactor.cancelTimer(callTimer) }
        helloTimer = nil
        callTimer = nil
        let reason: JobFailure.Reason = timedOut.map { .timedOut($0) }
            ?? violation.map { .protocolViolation($0) } ?? .crashed(status)
        let failure = JobFailure(reason: reason, jobType: displayName, workerPID: worker.pid,
                                 stderrTail: worker.stderrTail.lines)
        let inFlight = sent
        sent.removeAll()
        for call in inFlight { call.continuation.resume(throwing: failure) }

        if shuttingDown || stopped != nil {
            stop(.actorStopped(id, cause: "its system was shut down"), failSent: true)
        } else if let startWaiter {
            // It died before the actor existed the first time: the start fails with the cause.
            self.startWaiter = nil
            stop(.actorStopped(id, cause: "its process died while starting: \(reason)"), failSent: true)
            startWaiter.resume(throwing: failure)
        } else if restarts < options.maxRestarts {
            restarts += 1
            reactor.schedule(after: options.delay(beforeRestart: restarts)) { [weak self] in self?.spawnProcess() }
        } else {
            let restarted = restarts == 0 ? "" : " after \(restarts) restart(s)"
            stop(.actorStopped(id, cause: "its process died\(restarted): \(reason)"), failSent: true)
        }
        let waiters = exitWaiters
        exitWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }
}
