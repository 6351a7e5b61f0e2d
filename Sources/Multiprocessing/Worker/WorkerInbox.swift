import CMultiprocessing
import DequeModule
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The read side of a worker's channel: frames from the parent, in order, waiting to be run.
///
/// The worker loop reads the channel itself while it is idle. While it runs a long item, the
/// ``WorkerWatcher`` thread reads for it, so that a `cancel` (the parent taking back queued
/// tasks for an idle worker, or dropping a cancelled call's) takes effect at once instead of
/// after the long item. A `cancel` is applied as soon as it is read; every other frame waits
/// its turn.
final class WorkerInbox: Sendable {
    private struct State {
        var parser: FrameParser
        var frames = Deque<Frame>()
        var endOfFile = false
    }

    enum ReadOutcome { case data, wouldBlock, endOfFile }

    let fd: Int32
    private let outbox: WorkerOutbox
    private let state: Mutex<State>

    init(fd: Int32, outbox: WorkerOutbox, maxFrameSize: Int) {
        self.fd = fd
        self.outbox = outbox
        state = Mutex(State(parser: FrameParser(maxFrameSize: maxFrameSize)))
    }

    /// The next frame to handle, in the order the parent sent them.
    func next() -> Frame? {
        state.withLock { $0.frames.popFirst() }
    }

    var isEmpty: Bool { state.withLock { $0.frames.isEmpty } }

    /// Reads what the channel has, without waiting.
    /// Throws when the parent sent bytes that are not frames.
    func receive() throws(WireError) -> ReadOutcome {
        let (outcome, dropped) = try state.withLock { state throws(WireError) -> (ReadOutcome, [UInt64]) in
            var outcome = ReadOutcome.wouldBlock
            while true {
                let (result, asked) = state.parser.receive(from: fd)
                if result > 0 {
                    outcome = .data
                    if result < asked { break }
                    continue
                }
                if result < 0 && errno == EINTR { continue }
                if result == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                    state.endOfFile = true
                    outcome = .endOfFile
                }
                break
            }
            var dropped: [UInt64] = []
            while let frame = try state.parser.next() {
                if frame.kind == .cancel {
                    let ids = Set(try TaskListMessage(decoding: frame.body).taskIDs)
                    state.frames.removeAll { frame in
                        guard frame.kind == .runChunk || frame.kind == .runTarget,
                              let id = Self.taskID(of: frame), ids.contains(id) else { return false }
                        dropped.append(id)
                        return true
                    }
                } else {
                    state.frames.append(frame)
                }
            }
            // Frames read before the end still run; the end is reported once they are done.
            if outcome == .endOfFile && !state.frames.isEmpty { outcome = .data }
            return (outcome, dropped)
        }
        if !dropped.isEmpty {
            outbox.queue(.dropped, TaskListMessage(taskIDs: dropped).encode())
            // A lost channel is found and reported by the loop's next flush.
            _ = outbox.flush(itemDone: false)
        }
        return outcome
    }

    private static func taskID(of frame: Frame) -> UInt64? {
        guard frame.body.count >= 8 else { return nil }
        return frame.body.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }
}

/// The write side of a worker's channel: frames collect until the loop flushes them (many
/// results, one write). Shared with the watcher thread, so whole frames never interleave.
final class WorkerOutbox: Sendable {
    private struct State {
        var queue = OutgoingQueue()
        var oldestUnflushed: UInt64 = 0
        /// Bytes still queued that the page already announced (a write cut short).
        var announcedInQueue = 0
    }

    enum FlushOutcome { case done, parentGone, channelLost }

    let channel: WorkerChannel
    private let page: StatusPage?
    private let state = Mutex(State())

    init(channel: WorkerChannel, page: StatusPage?) {
        self.channel = channel
        self.page = page
    }

    var fd: Int32 { channel.fd }

    var pendingBytes: Int { state.withLock { $0.queue.byteCount } }

    /// When the oldest frame not yet written was queued (0 when none is).
    var oldestUnflushedNanos: UInt64 { state.withLock { $0.oldestUnflushed } }

    func queue(_ kind: FrameKind, _ body: [UInt8]) {
        state.withLock { state in
            if state.queue.isEmpty { state.oldestUnflushed = cmp_monotonic_ns() }
            state.queue.appendFrame(kind, body)
        }
    }

    func queue(_ kind: FrameKind, _ head: [UInt8], _ payload: Payload) {
        state.withLock { state in
            if state.queue.isEmpty { state.oldestUnflushed = cmp_monotonic_ns() }
            state.queue.appendFrame(kind, head, payload)
        }
    }

    /// Whether the channel is still the parent's socket; noted in the status page when it is.
    /// `itemDone`: the current item has returned (else it stays a suspect).
    func verifyChannel(itemDone: Bool) -> Bool {
        guard channel.isIntact else {
            page?.markChannelLost()
            return false
        }
        page?.markChannelIntact(itemDone: itemDone)
        return true
    }

    /// Writes everything queued, after checking that the channel is still the parent's.
    func flush(itemDone: Bool) -> FlushOutcome {
        state.withLock { state in
            guard !state.queue.isEmpty else { return .done }
            guard verifyChannel(itemDone: itemDone) else { return .channelLost }
            state.oldestUnflushed = 0
            page?.announce(bytes: state.queue.byteCount - state.announcedInQueue)
            defer { state.announcedInQueue = state.queue.byteCount }
            switch state.queue.write(to: channel.fd, blocking: true) {
            case .done, .wouldBlock: return .done
            case .closed:
                // Written into a socket that is still ours: the parent is gone. Anything else
                // (a descriptor closed under us) is the job's doing.
                if errno == EBADF || errno == ENOTSOCK {
                    page?.markChannelLost()
                    return .channelLost
                }
                return .parentGone
            }
        }
    }
}

/// A thread that, while the worker runs a long item, reads the channel for it (see
/// ``WorkerInbox``) and sends the results of the items before it, which would otherwise wait
/// in the outbox until the long item ends. It looks every 10 ms, and acts only when the worker
/// has been busy since its last look, so an idle or quick worker costs it nothing but the look.
enum WorkerWatcher {
    static func start(inbox: WorkerInbox, outbox: WorkerOutbox, page: StatusPage) {
        let context = Unmanaged.passRetained(Context(inbox: inbox, outbox: outbox, page: page)).toOpaque()
        var thread = pthread_t()
        _ = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Context>.fromOpaque(context!).takeRetainedValue()
            box.watch()
        }, context)
        pthread_detach(thread)
    }

    private final class Context {
        let inbox: WorkerInbox
        let outbox: WorkerOutbox
        let page: StatusPage

        init(inbox: WorkerInbox, outbox: WorkerOutbox, page: StatusPage) {
            self.inbox = inbox
            self.outbox = outbox
            self.page = page
        }

        func watch() -> Never {
            var busyAtLastLook = false
            var lastTasksDone: UInt64 = 0
            while true {
                usleep(10_000)
                let status = page.snapshot()
                // Busy with the same task as at the last look: the loop is not reading.
                if status.running && busyAtLastLook && status.tasksDone == lastTasksDone {
                    _ = try? inbox.receive()
                    if outbox.oldestUnflushedNanos != 0 { _ = outbox.flush(itemDone: false) }
                }
                busyAtLastLook = status.running
                lastTasksDone = status.tasksDone
            }
        }
    }
}
