import CMultiprocessing
import DequeModule
#if canImport(Glibc)
import Glibc
#endif

/// The child's side: reads tasks from the channel, runs them one at a time in order, and sends
/// their results back, batched while tasks are tiny and at once when they are not.
///
/// It runs in one Swift task; while it has nothing to run it suspends (a thread of its own
/// waits on the channel, see ``ChannelReadiness``), and a job's own awaits suspend it as usual.
final class WorkerLoop {
    private let inbox: WorkerInbox
    private let outbox: WorkerOutbox
    let page: StatusPage?
    private let marker: WorkerMarker
    private var jobs: [UInt32: Result<any LoadedJob, ItemFailureRecord>] = [:]
    /// The distributed actors this worker hosts, if it is an actor's process.
    private let actorHost = ActorHost()
    private var shuttingDown = false
    private var lastPoll: UInt64 = 0
    /// Stops the spin for work while the CPUs are oversubscribed (only the loop's thread spins).
    private var spinGate = SpinGate()

    /// A task that took longer than this sends its results at once.
    private static let slowTaskNanos: UInt64 = 200_000
    /// Results wait at most this long for company.
    private static let maxBatchDelayNanos: UInt64 = 1_000_000
    private static let maxBatchBytes = 256 * 1024

    private let readiness: ChannelReadiness
    /// The largest frame the parent accepts (``ProcessPool/Options/maxFrameBytes``).
    let maxFrameSize: Int

    init(channel: WorkerChannel, page: StatusPage?, marker: WorkerMarker) {
        outbox = WorkerOutbox(channel: channel, page: page)
        inbox = WorkerInbox(fd: channel.fd, outbox: outbox, maxFrameSize: marker.maxFrameSize)
        maxFrameSize = marker.maxFrameSize
        readiness = ChannelReadiness(fd: channel.fd)
        self.page = page
        self.marker = marker
        if let page { WorkerWatcher.start(inbox: inbox, outbox: outbox, page: page) }
    }

    func run() async -> Never {
        let hello = HelloMessage(version: Frame.protocolVersion, buildID: ExecutableIdentity.current, pid: getpid())
        outbox.queue(.hello, hello.encode())
        flushOrExit()
        while true {
            guard let frame = inbox.next() else {
                if shuttingDown { exitWorker(0) }
                flushOrExit()
                spinForWork()
                if inbox.isEmpty {
                    await readiness.wait()
                    receive()
                }
                continue
            }
            let now = cmp_monotonic_ns()
            if now &- lastPoll > Self.maxBatchDelayNanos {
                receive()
            }
            let started = now
            await handle(frame)
            let finished = cmp_monotonic_ns()
            if finished &- started > Self.slowTaskNanos
                || outbox.pendingBytes > Self.maxBatchBytes
                || (outbox.oldestUnflushedNanos > 0 && finished &- outbox.oldestUnflushedNanos > Self.maxBatchDelayNanos) {
                flushOrExit()
            }
        }
    }

    // MARK: Receiving

    /// Work often follows work within microseconds (a loop of `apply`, a stream): look for it
    /// a little while before sleeping, since waking from a sleep costs tens of microseconds.
    private static let spinNanos: UInt64 = 50_000

    private func spinForWork() {
        let start = cmp_monotonic_ns()
        var now = start
        while now &- start < Self.spinNanos && spinGate.allowsSpin(at: now) {
            receive()
            // Judged up to this round's start: reading the work may take long, and is no stall.
            if !inbox.isEmpty { break }
            sched_yield()
            now = cmp_monotonic_ns()
        }
        spinGate.spinEnded(at: now)
    }

    private func receive() {
        lastPoll = cmp_monotonic_ns()
        do {
            if try inbox.receive() == .endOfFile {
                // A job closed or replaced the channel (reads then fail or see an end): say so
                // in the status page. Else the parent closed the channel or died: nobody wants
                // results any more.
                if !outbox.verifyChannel(itemDone: true) { exitChannelLost() }
                exitWorker(0)
            }
        } catch {
            fatal("unreadable frame from the parent: \(error)")
        }
    }

    private func handle(_ frame: Frame) async {
        do {
            switch frame.kind {
            case .defineJob:
                let message = try DefineJobMessage(decoding: frame.body)
                // Decoding runs the job's own `init(from:)`: a death here is the job's.
                page?.setStage(.definingJob, job: message.jobID)
                jobs[message.jobID] = JobLoader.load(message)
                page?.setStage(.items)
            case .forgetJob:
                var reader = ByteReader(frame.body)
                jobs[try reader.read(UInt32.self)] = nil
            case .runChunk, .runTarget:
                await execute(frame)
            case .shutdown:
                shuttingDown = true
            case .actorCreate, .actorCall:
                try await actorHost.handle(frame) { reply in outbox.queue(.actorReply, reply.encode()) }
                flushOrExit()
            case .cancel, .hello, .results, .dropped, .fatal, .actorReply:
                fatal("frame of kind \(frame.kind) sent to a worker")
            }
        } catch {
            fatal("malformed \(frame.kind) frame: \(error)")
        }
    }

    // MARK: Running

    private func execute(_ frame: Frame) async {
        do {
            switch frame.kind {
            case .runChunk:
                let message = try RunChunkMessage(decoding: frame.body)
                switch jobs[message.jobID] {
                case let .success(job)?:
                    await job.runChunk(message, loop: self)
                case let .failure(record)?:
                    failAll(taskID: message.taskID, start: message.start, end: message.end, record: record)
                case nil:
                    failAll(taskID: message.taskID, start: message.start, end: message.end,
                            kind: .jobNotDefined, error: WireError.malformed("job \(message.jobID) was never defined"))
                }
                page?.endTask(residentBytes: marker.reportsResidentMemory ? Self.residentBytes() : nil)
            case .runTarget:
                let message = try RunTargetMessage(decoding: frame.body)
                var succeeded = false
                switch jobs[message.jobID] {
                case let .success(job)?:
                    succeeded = await job.runTarget(taskID: message.taskID, loop: self)
                case let .failure(record)?:
                    failAll(taskID: message.taskID, start: 0, end: 1, record: record)
                case nil:
                    failAll(taskID: message.taskID, start: 0, end: 1,
                            kind: .jobNotDefined, error: WireError.malformed("job \(message.jobID) was never defined"))
                }
                page?.endTask(residentBytes: marker.reportsResidentMemory ? Self.residentBytes() : nil)
                if message.exitAfter {
                    flushOrExit()
                    exitWorker(succeeded ? 0 : 1)
                }
            default:
                break
            }
        } catch {
            fatal("malformed \(frame.kind) frame: \(error)")
        }
        // What a job printed reaches the terminal before its result reaches the parent.
        cmp_flush_stdout()
    }

    // MARK: Sending

    func emit(_ message: ResultsMessage) {
        let head = message.encodeFixedPart()
        guard Frame.fits(bodyCount: head.count + message.outputs.count, limit: maxFrameSize) else {
            // Only a target's or a failure's message gets here (a job's pieces are split to
            // fit, see PieceBuilder): its items fail, saying why, instead of the frame.
            emit(message.replacingOutputsWithOversizeFailures(limit: maxFrameSize))
            return
        }
        outbox.queue(.results, head, message.outputs)
        if !message.final { flushOrExit() }
    }

    /// Checks, between items, that a job left the channel intact; a worker whose channel is
    /// gone has nobody to report to but its status page.
    func verifyChannelBetweenItems() {
        if !outbox.verifyChannel(itemDone: true) { exitChannelLost() }
    }

    func failAll(taskID: UInt64, start: UInt32, end: UInt32, kind: ItemFailureRecord.Kind, error: any Error) {
        let (type, text) = describeThrown(error)
        failAll(taskID: taskID, start: start, end: end,
                record: ItemFailureRecord(offset: 0, kind: kind, typeName: type, message: text))
    }

    private func failAll(taskID: UInt64, start: UInt32, end: UInt32, record: ItemFailureRecord) {
        let failures = (start..<end).map { offset in
            var copy = record
            copy.offset = offset
            return copy
        }
        emit(ResultsMessage(taskID: taskID, start: start, count: end - start, final: true, elapsedNanos: 0,
                            failures: failures, outputs: Payload(EmptyArrayEncoding.bytes)))
    }

    private func flushOrExit() {
        switch outbox.flush(itemDone: true) {
        case .done: return
        case .parentGone: exitWorker(0)
        case .channelLost: exitChannelLost()
        }
    }

    /// The status page says the channel is lost (see ``Blame``); the exit status says it again.
    private func exitChannelLost() -> Never {
        page?.markChannelLost()
        exitWorker(Self.channelLostStatus)
    }

    static let channelLostStatus: Int32 = 3

    private func fatal(_ message: String) -> Never {
        outbox.queue(.fatal, FatalMessage(message: String(message.prefix(4096))).encode())
        _ = outbox.flush(itemDone: true)
        exitWorker(2)
    }

    // MARK: Process

    func exitWorker(_ status: Int32) -> Never {
        fflush(nil)
        WorkerDescendants.killStrays()
        _exit(status)
    }

    /// Resident memory from /proc/self/statm (its second field, in pages).
    static func residentBytes() -> UInt64? {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        let fields = buffer[0..<n].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = UInt64(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
