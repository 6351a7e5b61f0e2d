import CMultiprocessing
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// What a ``WorkerConnection`` reports to the pool or process that owns it, on the reactor thread.
protocol WorkerConnectionDelegate: AnyObject {
    func worker(_ worker: WorkerConnection, received frame: Frame)
    /// The worker sent bytes that are not a valid frame; the connection has already killed it.
    func worker(_ worker: WorkerConnection, violatedProtocol reason: String)
    /// The worker is gone and reaped; every frame it sent was delivered first.
    func worker(_ worker: WorkerConnection, exited status: ProcessExitStatus)
}

/// The parent's side of one worker process: its channel (framed, non-blocking, flushed once per
/// reactor round), its standard error (forwarded, last lines kept) and its exit (a pidfd).
/// Confined to the reactor thread.
final class WorkerConnection {
    let pid: pid_t
    private let page: StatusPage?
    private var finalStatus: StatusPage.Snapshot?
    private let reactor: Reactor
    weak var delegate: (any WorkerConnectionDelegate)?

    private var channelFD: Int32
    private var stderrFD: Int32
    private var pidFD: Int32
    private var channelToken: UInt64?
    private var stderrToken: UInt64?
    private var pidToken: UInt64?
    private var pollTimer: UInt64?

    private let parser: FrameParser
    /// Bytes read from the channel, to hold against what the worker announced writing.
    private var bytesReceived: UInt64 = 0
    private var outgoing = OutgoingQueue()
    private var flushScheduled = false
    private var waitingForWritable = false
    private(set) var stderrTail: StderrTail
    private(set) var exitStatus: ProcessExitStatus?
    private var channelClosed = false
    private var killTimer: UInt64?

    static let defaultLogger = SupervisorLogHandler.logger(label: "swift-multiprocessing.worker")
    private let logger: Logger
    /// A test's stand-in for the process (see ``ScriptedProcess``); nil for a real worker.
    private let scripted: (any ScriptedProcess)?

    init(spawned: SpawnedWorker, reactor: Reactor, maxFrameSize: Int, logger: Logger = WorkerConnection.defaultLogger) {
        pid = spawned.pid
        page = spawned.page
        scripted = spawned.scripted
        self.reactor = reactor
        self.logger = logger
        stderrTail = StderrTail(forwardingTo: reactor.workerStderrForwarder)
        channelFD = spawned.channel
        stderrFD = spawned.stderr
        pidFD = spawned.pidfd
        parser = FrameParser(maxFrameSize: maxFrameSize)
    }

    /// Starts watching the worker's descriptors. Call once, right after spawning. From here
    /// until the worker is reaped the reactor's handlers keep this object alive, so a worker
    /// whose owner is gone is still reaped and its descriptors closed.
    func activate() {
        reactor.assertInLoop()
        channelToken = reactor.register(fd: channelFD, events: CMP_EPOLLIN | CMP_EPOLLRDHUP) { [self] events in
            self.channelEvent(events)
        }
        stderrToken = reactor.register(fd: stderrFD, events: CMP_EPOLLIN) { [self] _ in
            self.readStderr()
        }
        if pidFD >= 0 {
            pidToken = reactor.register(fd: pidFD, events: CMP_EPOLLIN) { [self] _ in
                self.processExited()
            }
        } else {
            pollForExit()
        }
    }

    var isAlive: Bool { exitStatus == nil }

    /// What the worker last noted in its status page (as it was at its death, once dead).
    func status() -> StatusPage.Snapshot? {
        finalStatus ?? page?.snapshot()
    }

    // MARK: Sending

    /// Queues a frame; it leaves with the others of this reactor round.
    func send(_ kind: FrameKind, _ parts: [UInt8]...) {
        guard isAlive, !channelClosed else { return }
        let bodyCount = parts.reduce(0) { $0 + $1.count }
        var body: [UInt8] = []
        body.reserveCapacity(bodyCount)
        for part in parts { body.append(contentsOf: part) }
        outgoing.appendFrame(kind, body)
        scheduleFlush()
    }

    func send(_ kind: FrameKind, _ head: [UInt8], _ payload: Payload) {
        guard isAlive, !channelClosed else { return }
        outgoing.appendFrame(kind, head, payload)
        scheduleFlush()
    }

    private func scheduleFlush() {
        guard !flushScheduled, !waitingForWritable else { return }
        flushScheduled = true
        reactor.atEndOfIteration { [weak self] in self?.flush() }
    }

    private func flush() {
        flushScheduled = false
        guard isAlive, !channelClosed else { return }
        switch outgoing.write(to: channelFD, blocking: false) {
        case .done:
            setWaitingForWritable(false)
        case .wouldBlock:
            setWaitingForWritable(true)
        case .closed:
            // EPIPE or ECONNRESET: the worker is dying; its exit will be reported.
            closeChannel()
        }
    }

    private func setWaitingForWritable(_ waiting: Bool) {
        guard waiting != waitingForWritable, let channelToken else { return }
        waitingForWritable = waiting
        let events = CMP_EPOLLIN | CMP_EPOLLRDHUP | (waiting ? CMP_EPOLLOUT : 0)
        reactor.modify(fd: channelFD, token: channelToken, events: events)
    }

    // MARK: Receiving

    private func channelEvent(_ events: UInt32) {
        if events & CMP_EPOLLOUT != 0 { flush() }
        if events & (CMP_EPOLLIN | CMP_EPOLLRDHUP | CMP_EPOLLHUP | CMP_EPOLLERR) != 0 { readChannel() }
    }

    private func readChannel() {
        guard !channelClosed else { return }
        while true {
            let (result, asked) = parser.receive(from: channelFD)
            if result < 0 && errno == EINTR { continue }
            if result > 0 {
                bytesReceived &+= UInt64(result)
                if !deliverFrames() || !receivedOnlyAnnouncedBytes() { return }
                if result < asked { return }
                continue
            }
            if result == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                closeChannel()
                // A live worker with a closed channel is of no use: give it a moment, then kill it.
                if isAlive && killTimer == nil {
                    killTimer = reactor.schedule(after: .seconds(1)) { [weak self] in self?.kill(SIGKILL) }
                }
            }
            return
        }
    }

    /// Delivers every whole frame received; false after a protocol violation.
    private func deliverFrames() -> Bool {
        do {
            while let frame = try parser.next() {
                delegate?.worker(self, received: frame)
                if channelClosed { return false }
            }
            return true
        } catch {
            protocolViolation("unreadable frame: \(error)")
            return false
        }
    }

    /// More bytes than the worker announced in its page (``StatusPage/announce(bytes:)``) came
    /// from someone else with the channel's descriptor: a job. Caught however they look (even a
    /// header promising a body that never comes, which the parser would wait for). A worker
    /// that announced nothing has no page to write to and is not held to it.
    private func receivedOnlyAnnouncedBytes() -> Bool {
        guard let page, case let announced = page.bytesAnnounced, announced > 0, bytesReceived > announced else { return true }
        protocolViolation("\(bytesReceived - announced) byte(s) the worker did not write (a job wrote into its channel)")
        return false
    }

    /// Kills a worker that sent nonsense; the owner hears of it, then of the exit.
    func protocolViolation(_ reason: String) {
        logger.warning("worker \(pid) violated the protocol: \(reason)")
        closeChannel()
        kill(SIGKILL)
        delegate?.worker(self, violatedProtocol: reason)
    }

    private func closeChannel() {
        guard !channelClosed else { return }
        channelClosed = true
        if let channelToken { reactor.unregister(fd: channelFD, token: channelToken) }
        channelToken = nil
        outgoing.removeAll()
    }

    private func readStderr() {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(stderrFD, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.withUnsafeBytes { stderrTail.consume(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n == 0, let stderrToken {
                // Every writer closed it (the worker and anything it started).
                reactor.unregister(fd: stderrFD, token: stderrToken)
                self.stderrToken = nil
            }
            return
        }
    }

    // MARK: Exit

    /// Sends a signal, unless the worker was already reaped (its pid may then be another's).
    func kill(_ signal: Int32) {
        guard isAlive else { return }
        if let scripted {
            scripted.signal(signal)
        } else {
            ChildProcess.signal(pid: pid, pidFD: pidFD, signal)
        }
    }

    /// The worker's exit status once it has exited (reaping it), nil while it runs.
    private func reap() -> ProcessExitStatus? {
        if let scripted { return scripted.reap() }
        return ChildProcess.reap(pid: pid, pidFD: pidFD)
    }

    /// SIGTERM now, SIGKILL after `grace` if it is still alive.
    func terminate(grace: Duration) {
        guard isAlive else { return }
        kill(SIGTERM)
        if killTimer == nil {
            killTimer = reactor.schedule(after: grace) { [weak self] in self?.kill(SIGKILL) }
        }
    }

    private func pollForExit() {
        pollTimer = reactor.schedule(after: .milliseconds(20)) { [weak self] in
            guard let self, self.isAlive else { return }
            if let status = self.reap() {
                self.finish(status)
            } else {
                self.pollForExit()
            }
        }
    }

    private func processExited() {
        guard let status = reap() else { return }
        finish(status)
    }

    private func finish(_ status: ProcessExitStatus) {
        guard isAlive else { return }
        // Everything the worker wrote before it died counts: results first, then its last words.
        readChannel()
        readStderr()
        stderrTail.flushPartial()
        exitStatus = status
        closeChannel()
        if let stderrToken { reactor.unregister(fd: stderrFD, token: stderrToken) }
        if let pidToken { reactor.unregister(fd: pidFD, token: pidToken) }
        if let killTimer { reactor.cancelTimer(killTimer) }
        stderrToken = nil
        pidToken = nil
        close(channelFD)
        close(stderrFD)
        if pidFD >= 0 { close(pidFD) }
        finalStatus = page?.snapshot()
        page?.unmap()
        channelFD = -1
        stderrFD = -1
        pidFD = -1
        logger.debug("worker \(pid) \(status)")
        delegate?.worker(self, exited: status)
    }
}
