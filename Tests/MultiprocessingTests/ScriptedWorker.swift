import CMultiprocessing
import DequeModule
#if canImport(Glibc)
import Glibc
#endif
@testable import Multiprocessing

/// What an item of the supervisor model does when it runs (see `SupervisorModelTests`).
enum ItemNature: Character, CaseIterable, Sendable {
    /// Returns its output.
    case good = "."
    /// Throws: an ordinary failure, delivered once, never retried.
    case throwsError = "t"
    /// Kills its worker (SIGSEGV) while it runs.
    case crashes = "c"
    /// Returns, then its worker exits with status 0 before the result is sent.
    case exitsAfterReturn = "x"
    /// Never returns (only its call's timeout ends it).
    case hangs = "h"
    /// Closes its worker's channel to the pool, then returns.
    case closesChannel = "k"
    /// Writes bytes that are not a frame into its worker's channel, then returns.
    case writesGarbage = "g"
    /// Returns an output whose encoding kills the worker (SIGILL).
    case crashesEncoding = "e"

    /// Whether the item itself is at fault (it must be charged, and fail once its retries are spent).
    var isBad: Bool {
        switch self {
        case .good, .throwsError: return false
        default: return true
        }
    }
}

/// An item of the model: its call and its index in the call. Its input is `call * 1000 + index`.
struct ItemKey: Hashable, Comparable, CustomStringConvertible {
    var call: Int
    var index: Int

    var input: Int { call * 1000 + index }
    init(call: Int, index: Int) { self.call = call; self.index = index }
    init(input: Int) { call = input / 1000; index = input % 1000 }

    static func output(of input: Int) -> Int { input &* 3 &+ 1 }
    static func < (a: ItemKey, b: ItemKey) -> Bool { (a.call, a.index) < (b.call, b.index) }
    var description: String { "\(call).\(index)" }
}

/// What the scripted workers tell the model as they go: who began what, which results left
/// intact, and what each death could be charged to. The oracle's raw material.
protocol ScriptedWorkerObserver: AnyObject {
    func nature(of item: ItemKey) -> ItemNature
    func began(_ item: ItemKey, worker: ScriptedWorker)
    /// The item's result left the worker in a frame the parent can read.
    func sent(_ item: ItemKey, worker: ScriptedWorker)
    /// The worker died with these items begun and their results not sent.
    func died(_ worker: ScriptedWorker, status: ProcessExitStatus, exposed: [ItemKey])
    /// The pool sent the worker a signal (it may outlive a SIGTERM).
    func signalled(_ worker: ScriptedWorker, _ signal: Int32)
}

/// A worker process played by the test, frame by frame: the pool's side of its channel, its
/// standard error, its status page and its "pidfd" are real descriptors and memory, so the pool
/// runs its own code end to end (``WorkerConnection``, the frame parser, ``Blame``); only the
/// process is a stand-in (``ScriptedProcess``). Each action is one step of the real worker's loop
/// (`WorkerLoop`, `LoadedChunkJob`, `_ItemSession`, `WorkerInbox`), with the status page written
/// as the real worker writes it.
final class ScriptedWorker: ScriptedProcess {
    enum Action: Equatable, CustomStringConvertible {
        /// The loop's next move: handle a frame, begin or finish an item, send a task's results.
        case step
        /// Read the channel (the loop when idle, or the watcher thread during a long item).
        case read
        /// Write what is queued (the loop between frames, or the watcher during a long item).
        case flush
        /// A checkpoint between items that looks at the channel.
        case verify
        /// A checkpoint between items that sends the results so far.
        case partial
        /// Dies of something outside any job (the OOM killer, an operator's SIGKILL).
        case die(ProcessExitStatus)
        /// Writes bytes that are not a frame (a stray write into the channel's descriptor).
        case garbage

        /// Ends the worker whatever it is doing (garbage: the pool kills it).
        var isFatal: Bool {
            switch self {
            case .die, .garbage: return true
            default: return false
            }
        }

        var description: String {
            switch self {
            case .step: return "step"
            case .read: return "read"
            case .flush: return "flush"
            case .verify: return "verify"
            case .partial: return "partial"
            case let .die(status): return "die(\(status))"
            case .garbage: return "garbage"
            }
        }
    }

    struct RunningTask {
        var taskID: UInt64
        var start: Int
        var end: Int
        var inputs: [Int]
        /// The next item to begin.
        var next: Int
        /// The item begun and not returned.
        var running: Int?
        /// Items returned since the last piece was sent: input, and output or nil (threw).
        var piece: [(input: Int, output: Int?)] = []
        var pieceStart: Int
    }

    let number: Int
    let pid: Int32
    let page: StatusPage
    private weak var observer: (any ScriptedWorkerObserver)?
    private var socket: Int32
    private var stderrWrite: Int32
    private let exitEvent: Int32
    private let parser: FrameParser
    private var inbox = Deque<Frame>()
    private var outbox = OutgoingQueue()
    /// The items whose results are in `outbox`, to be noted as sent when it is written.
    private var outboxItems: [ItemKey] = []
    /// Items begun whose results have not left intact.
    private(set) var exposed: [ItemKey] = []
    private(set) var exitStatus: ProcessExitStatus?
    private(set) var signals: [Int32] = []
    /// Ignores SIGTERM (the pool's grace period then ends in SIGKILL).
    let ignoresTerm: Bool
    /// A job closed the channel: nothing can be written or read any more.
    private(set) var channelBroken = false
    /// Bytes that are not frames went into the channel: what follows cannot be read.
    private(set) var channelPoisoned = false
    private var parentClosed = false
    private var shuttingDown = false
    private var jobs = Set<UInt32>()
    private(set) var task: RunningTask?
    /// The last item begun: the one the status page names.
    private(set) var lastBegun: ItemKey?
    private var rng: SplitMix64

    var isAlive: Bool { exitStatus == nil }

    var debugDescription: String {
        let running = task.map { "task \($0.taskID) \($0.start)..<\($0.end) next \($0.next) running \(String(describing: $0.running)) piece \($0.piece.count)" } ?? "no task"
        return "\(running) inbox \(inbox.map { "\($0.kind)" }) outbox \(outbox.byteCount)B exposed \(exposed) broken \(channelBroken) poisoned \(channelPoisoned) signals \(signals) shutdown \(shuttingDown) parentClosed \(parentClosed)"
    }
    var isIdle: Bool { task == nil && inbox.isEmpty }
    var hasRunningItem: Bool { task?.running != nil }
    var isBetweenItems: Bool { task.map { $0.running == nil && $0.next > $0.start && $0.next < $0.end } ?? false }

    /// Makes the worker and the pool's ends of its descriptors.
    static func make(number: Int, observer: any ScriptedWorkerObserver, maxFrameSize: Int,
                     ignoresTerm: Bool, seed: UInt64) throws(SpawnFailure) -> (ScriptedWorker, SpawnedWorker) {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw SpawnFailure(step: "socketpair", code: errno)
        }
        for fd in pair { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        var errPipe: [Int32] = [-1, -1]
        guard cmp_pipe_cloexec(&errPipe) == 0 else { throw SpawnFailure(step: "pipe", code: errno) }
        _ = fcntl(errPipe[0], F_SETFL, fcntl(errPipe[0], F_GETFL) | O_NONBLOCK)
        let memfd = cmp_memfd_create("model-status")
        guard memfd >= 0, ftruncate(memfd, off_t(StatusPage.size)) == 0,
              let poolPage = StatusPage(mapping: memfd), let workerPage = StatusPage(mapping: memfd) else {
            throw SpawnFailure(step: "memfd", code: errno)
        }
        close(memfd)
        let event = cmp_eventfd()
        let poolEvent = dup(event)
        _ = fcntl(poolEvent, F_SETFD, FD_CLOEXEC)
        let worker = ScriptedWorker(number: number, page: workerPage, observer: observer, socket: pair[1],
                                    stderrWrite: errPipe[1], exitEvent: event, maxFrameSize: maxFrameSize,
                                    ignoresTerm: ignoresTerm, seed: seed)
        let spawned = SpawnedWorker(pid: worker.pid, channel: pair[0], stderr: errPipe[0], pidfd: poolEvent,
                                    page: poolPage, scripted: worker)
        // A real worker's first words.
        worker.queue(.hello, HelloMessage(version: Frame.protocolVersion, buildID: ExecutableIdentity.current,
                                          pid: worker.pid).encode())
        worker.flush(itemDone: true)
        return (worker, spawned)
    }

    private init(number: Int, page: StatusPage, observer: any ScriptedWorkerObserver, socket: Int32,
                 stderrWrite: Int32, exitEvent: Int32, maxFrameSize: Int, ignoresTerm: Bool, seed: UInt64) {
        self.number = number
        pid = Int32(900_000 + number)
        self.page = page
        self.observer = observer
        self.socket = socket
        self.stderrWrite = stderrWrite
        self.exitEvent = exitEvent
        parser = FrameParser(maxFrameSize: maxFrameSize)
        self.ignoresTerm = ignoresTerm
        rng = SplitMix64(seed: seed)
    }

    /// Closes what the worker still holds (after the pool reaped it, or at the end of a run).
    func release() {
        if isAlive { exit(.signaled(SIGKILL)) }
        close(exitEvent)
        page.unmap()
    }

    // MARK: ScriptedProcess

    func signal(_ signal: Int32) {
        signals.append(signal)
        guard isAlive else { return }
        observer?.signalled(self, signal)
        if signal == SIGKILL || (signal == SIGTERM && !ignoresTerm) { die(.signaled(signal)) }
    }

    func reap() -> ProcessExitStatus? { exitStatus }

    // MARK: Actions

    func perform(_ action: Action) {
        guard isAlive else { return }
        switch action {
        case .step: step()
        case .read: read()
        case .flush: flush(itemDone: task?.running == nil)
        case .verify:
            guard isBetweenItems else { return }
            verifyChannel(itemDone: true)
        case .partial:
            guard isBetweenItems, let task, !task.piece.isEmpty else { return }
            sendPiece(final: false)
            if isAlive { flush(itemDone: true) }
        case let .die(status): die(status)
        case .garbage: writeGarbage()
        }
    }

    private func step() {
        if var task {
            if let running = task.running {
                finish(running)
                return
            }
            if task.next < task.end {
                task.running = task.next
                task.next += 1
                self.task = task
                begin(task.running!)
                return
            }
            sendPiece(final: true)
            guard isAlive else { return }
            page.endTask(residentBytes: nil)
            self.task = nil
            return
        }
        if let frame = inbox.popFirst() {
            handle(frame)
            return
        }
        if shuttingDown || parentClosed {
            flush(itemDone: true)
            if isAlive { exit(.exited(0)) }
            return
        }
        flush(itemDone: true)
    }

    private func handle(_ frame: Frame) {
        switch frame.kind {
        case .defineJob:
            guard let message = try? DefineJobMessage(decoding: frame.body) else { return fatal("bad defineJob") }
            page.setStage(.definingJob, job: message.jobID)
            jobs.insert(message.jobID)
            page.setStage(.items)
        case .forgetJob:
            var reader = ByteReader(frame.body)
            guard let id = try? reader.read(UInt32.self) else { return fatal("bad forgetJob") }
            jobs.remove(id)
        case .runChunk:
            guard let message = try? RunChunkMessage(decoding: frame.body),
                  let inputs = try? BinaryDecoder().decode([Int].self, from: message.inputs.bytes) else {
                return fatal("bad runChunk")
            }
            guard jobs.contains(message.jobID) else { return fatal("job \(message.jobID) was never defined") }
            let start = Int(message.start), end = Int(message.end)
            page.beginTask(taskID: message.taskID, offset: message.start)
            // Inputs are decoded one at a time, each noted as its item (LoadedChunkJob), then the
            // first item begins: one step here (no death falls between).
            for index in start..<end { page.beginTask(taskID: message.taskID, offset: UInt32(index)) }
            task = RunningTask(taskID: message.taskID, start: start, end: end, inputs: inputs, next: start + 1,
                               running: start, pieceStart: start)
            begin(start)
        case .shutdown:
            shuttingDown = true
        default:
            fatal("frame of kind \(frame.kind) sent to a worker")
        }
    }

    private func begin(_ offset: Int) {
        guard let task else { return }
        page.beginTask(taskID: task.taskID, offset: UInt32(offset))
        let item = ItemKey(input: task.inputs[offset])
        exposed.append(item)
        lastBegun = item
        observer?.began(item, worker: self)
    }

    private func finish(_ offset: Int) {
        guard var task, let observer else { return }
        let input = task.inputs[offset]
        let nature = observer.nature(of: ItemKey(input: input))
        if nature == .hangs { return }
        if nature == .crashes { return die(.signaled(SIGSEGV)) }
        task.running = nil
        task.piece.append((input, nature == .throwsError ? nil : ItemKey.output(of: input)))
        self.task = task
        switch nature {
        case .exitsAfterReturn: die(.exited(0))
        case .closesChannel: breakChannel()
        case .writesGarbage: writeGarbage()
        default: break
        }
    }

    /// Encodes the piece (its outputs' `encode(to:)` runs here) and queues it.
    private func sendPiece(final: Bool) {
        guard var task, let observer else { return }
        if task.piece.isEmpty && !final { return }
        page.setStage(.encodingOutputs, from: StatusPage.item(taskID: task.taskID, offset: UInt32(task.pieceStart)))
        if task.piece.contains(where: { observer.nature(of: ItemKey(input: $0.input)) == .crashesEncoding }) {
            return die(.signaled(SIGILL))
        }
        let failures = task.piece.enumerated().compactMap { position, item -> ItemFailureRecord? in
            item.output == nil
                ? ItemFailureRecord(offset: UInt32(task.pieceStart + position), kind: .threw, typeName: "ModelError",
                                    message: "item \(ItemKey(input: item.input)) threw")
                : nil
        }
        let outputs = (try? BinaryEncoder().encode(task.piece.compactMap(\.output))) ?? []
        let message = ResultsMessage(taskID: task.taskID, start: UInt32(task.pieceStart), count: UInt32(task.piece.count),
                                     final: final, elapsedNanos: 1000, failures: failures, outputs: Payload(outputs))
        page.setStage(.items)
        queue(.results, message.encodeFixedPart(), message.outputs)
        outboxItems += task.piece.map { ItemKey(input: $0.input) }
        task.pieceStart += task.piece.count
        task.piece = []
        self.task = task
    }

    private func read() {
        if channelBroken {
            // The job closed the descriptor: reads fail, and the loop (not the watcher) finds out.
            if task?.running == nil { verifyChannel(itemDone: true) }
            return
        }
        var dropped: [UInt64] = []
        var endOfFile = false
        while true {
            let (result, asked) = parser.receive(from: socket)
            if result > 0 {
                if result < asked { break }
                continue
            }
            if result < 0 && errno == EINTR { continue }
            if result == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { endOfFile = true }
            break
        }
        do {
            while let frame = try parser.next() {
                if frame.kind == .cancel {
                    let ids = Set(try TaskListMessage(decoding: frame.body).taskIDs)
                    inbox.removeAll { frame in
                        guard frame.kind == .runChunk, frame.body.count >= 8 else { return false }
                        let id = frame.body.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
                        guard ids.contains(id) else { return false }
                        dropped.append(id)
                        return true
                    }
                } else {
                    inbox.append(frame)
                }
            }
        } catch {
            return fatal("unreadable frame from the parent: \(error)")
        }
        if !dropped.isEmpty {
            queue(.dropped, TaskListMessage(taskIDs: dropped).encode())
            flush(itemDone: false)
        }
        if endOfFile { parentClosed = true }
    }

    /// Checks that the channel is the parent's (`WorkerOutbox.verifyChannel`); a worker whose
    /// channel is gone says so in its page and exits (`WorkerLoop.exitChannelLost`).
    @discardableResult
    private func verifyChannel(itemDone: Bool) -> Bool {
        guard !channelBroken else {
            page.markChannelLost()
            exit(.exited(3))
            return false
        }
        page.markChannelIntact(itemDone: itemDone)
        return true
    }

    private func queue(_ kind: FrameKind, _ body: [UInt8]) {
        outbox.appendFrame(kind, body)
    }

    private func queue(_ kind: FrameKind, _ head: [UInt8], _ payload: Payload) {
        outbox.appendFrame(kind, head, payload)
    }

    func flush(itemDone: Bool) {
        guard isAlive, !outbox.isEmpty else { return }
        guard verifyChannel(itemDone: itemDone) else { return }
        page.announce(bytes: outbox.byteCount)
        switch outbox.write(to: socket, blocking: false) {
        case .done: break
        case .wouldBlock: preconditionFailure("a model worker's channel is full")
        case .closed: return exit(.exited(0))
        }
        if !channelPoisoned {
            for item in outboxItems {
                exposed.removeAll { $0 == item }
                observer?.sent(item, worker: self)
            }
        }
        outboxItems = []
    }

    private func fatal(_ message: String) {
        queue(.fatal, FatalMessage(message: message).encode())
        flush(itemDone: true)
        exit(.exited(2))
    }

    private func breakChannel() {
        channelBroken = true
        close(socket)
        socket = -1
        outbox.removeAll()
        outboxItems = []
    }

    /// A few bytes the pool must refuse: a frame header of length 0, of a kind no worker sends,
    /// a second hello, or the header of a results frame far longer than anything that follows
    /// (the parent would wait for its body for ever if it trusted the length).
    private func writeGarbage() {
        guard !channelBroken else { return }
        var bytes: [UInt8]
        switch rng.below(4) {
        case 3:
            let length = UInt32(4096 + rng.below(parser.maxFrameSize - 8192))
            bytes = withUnsafeBytes(of: length.littleEndian) { Array($0) } + [FrameKind.results.rawValue]
        case 0:
            bytes = [0, 0, 0, 0]
        case 1:
            let length = 1 + rng.below(8)
            let kinds = (0...255).filter { FrameKind(rawValue: UInt8($0)).map { [.hello, .results, .dropped, .fatal].contains($0) == false } ?? true }
            bytes = [UInt8(length), 0, 0, 0, UInt8(kinds[rng.below(kinds.count)])]
            for _ in 1..<length { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
        default:
            bytes = Frame(kind: .hello, body: HelloMessage(version: Frame.protocolVersion, buildID: ExecutableIdentity.current,
                                                           pid: pid).encode()).encoded()
        }
        // Whatever was queued before goes first; the stray bytes are written straight to the descriptor.
        flush(itemDone: task?.running == nil)
        guard isAlive else { return }
        _ = bytes.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        channelPoisoned = true
    }

    /// Dies now; the job's state stays in the page as it was.
    private func die(_ status: ProcessExitStatus) {
        exit(status)
    }

    private func exit(_ status: ProcessExitStatus) {
        guard isAlive else { return }
        exitStatus = status
        observer?.died(self, status: status, exposed: exposed)
        if socket >= 0 { close(socket) }
        socket = -1
        close(stderrWrite)
        stderrWrite = -1
        var one: UInt64 = 1
        _ = Glibc.write(exitEvent, &one, 8)
    }
}
