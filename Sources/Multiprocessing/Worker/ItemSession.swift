import Synchronization

/// A worker's bookkeeping while one task's items run: which item is running (for the status
/// page), which failed, when to send results early, and sending them.
///
/// Public only so that ``Job/_runItems(_:in:session:)``'s default implementation, which is
/// compiled into each job's own module (specialized: a tiny item then costs a few
/// nanoseconds, not an unspecialized generic call), can drive it. Not for use.
public final class _ItemSession<Output: Encodable> {
    private let loop: WorkerLoop
    private let taskID: UInt64
    private var piece: PieceBuilder<Output>
    private var clock = PartialResultClock()
    /// The status page's word for the running item, and this task's tag in its high half.
    @usableFromInline let currentItem: UnsafeMutablePointer<Atomic<UInt64>>?
    @usableFromInline let taskTag: UInt64
    /// The task's items are `0..<count` to the job's loop, `start..<(start + count)` of their chunk.
    private let start: Int

    init(loop: WorkerLoop, taskID: UInt64, start: Int) {
        self.loop = loop
        self.taskID = taskID
        self.start = start
        piece = PieceBuilder(taskID: taskID, start: start)
        currentItem = loop.page?.currentItemWord
        // The tag in the high half and the chunk offset of item 0 in the low: item `index` is
        // one add away.
        taskTag = UInt64(StatusPage.tag(taskID)) << 32 | UInt64(UInt32(truncatingIfNeeded: start))
    }

    /// Item `index` starts: noted in the status page (one store), so a crash is charged to it.
    @inlinable
    public func begin(_ index: Int) {
        currentItem?.pointee.store(taskTag &+ UInt64(UInt32(truncatingIfNeeded: index)), ordering: .releasing)
    }

    /// Item `index` threw `error`.
    public func failed(_ index: Int, _ error: any Error) {
        let (type, text) = describeThrown(error)
        piece.failures.append(ItemFailureRecord(offset: UInt32(truncatingIfNeeded: start + index), kind: .threw,
                                                typeName: type, message: text))
    }

    /// Whether results so far should go to the parent now (the task has run long), and how many
    /// items to run before asking again.
    public func checkpoint() -> (due: Bool, next: Int) {
        let (due, next, checkChannel) = clock.checkpoint()
        // At most one look at the channel per 20 us of work: where items are that slow, a job
        // that damaged the channel is found at the item that did it (see ``Blame``).
        if checkChannel { loop.verifyChannelBetweenItems() }
        return (due, next)
    }

    /// Sends the outcomes of the items up to and including `last` (the successes' outputs are
    /// `outputs`, which is emptied), as a partial or the final piece.
    public func send(_ outputs: inout [Output], through last: Int, final: Bool) {
        piece.count = start + last + 1 - piece.start
        piece.outputs = outputs
        outputs.removeAll(keepingCapacity: true)
        // Encoding runs the outputs' own `encode(to:)`: a death here is any of these items'.
        loop.page?.setStage(.encodingOutputs, from: StatusPage.item(taskID: taskID, offset: UInt32(piece.start)))
        let messages = piece.take(final: final, maxFrameSize: loop.maxFrameSize)
        loop.page?.setStage(.items)
        for message in messages { loop.emit(message) }
    }
}
