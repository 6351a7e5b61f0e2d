/// Whom a worker's death is charged to, from what its status page said at the end.
///
/// The rule: a death is charged to the one item that can have caused it, and only when exactly
/// one can. A worker runs its tasks in order, one item at a time, and notes each item it begins
/// in its status page (which survives anything a job does to the worker's descriptors), so:
/// - a death while an item runs (a signal, `exit`, a trap) is that item's;
/// - a death while decoding an item's input is that item's (inputs are decoded one at a time,
///   each noted as its item, and only the task's own);
/// - a death while encoding outputs is any of those items';
/// - a job that closed or replaced the worker's channel is any item begun since the worker
///   last found the channel intact (it looks before every write and, where items take more
///   than about 20 us, after each item: there that is the one item);
/// - bytes the parent cannot read, or more bytes than the worker announced writing (see
///   ``StatusPage/announce(bytes:)``), are any item begun and not yet delivered;
/// - a death while decoding the job value is the job's (the whole call's);
/// - a death after every begun item was delivered is nobody's.
///
/// When several items can be at fault, they run again one at a time, each alone on its
/// worker (``TaskSpec/isolated``), where the rule names exactly one; the run among many counts
/// as one of the culprit's attempts. A charged item's retries run alone too, so that no run of it
/// is counted twice (charged, then suspected again). Items that were delivered are never run again; items that
/// ran but whose results died with the worker run again (their work is not charged).
enum Blame {
    /// One task the worker held, in the order it was sent (the order it runs).
    struct Task: Equatable {
        var taskID: UInt64
        /// Its items not yet delivered.
        var unresolved: Range<Int>
    }

    enum Verdict: Equatable {
        /// Exactly this item (of `tasks[task]`) is charged.
        case item(task: Int, offset: Int)
        /// Any of these items may be at fault: run each again, alone.
        case suspects([Suspect])
        /// The job value itself (its decoding killed the worker).
        case job(UInt32)
        /// No item can have caused it.
        case nobody
    }

    struct Suspect: Equatable {
        var task: Int
        var offsets: Range<Int>
    }

    /// A position in the worker's run: task index and item offset.
    private struct Position: Comparable {
        var task: Int
        var offset: Int
        static func < (a: Position, b: Position) -> Bool { (a.task, a.offset) < (b.task, b.offset) }
    }

    /// - Parameters:
    ///   - unreadable: the parent killed the worker for bytes it could not read.
    static func verdict(tasks: [Task], page: StatusPage.Snapshot?, unreadable: Bool) -> Verdict {
        guard !tasks.isEmpty else {
            if let page, page.stage == .definingJob { return .job(page.stageJob) }
            return .nobody
        }
        guard let page else {
            // No page (it could not be mapped): the first task's undelivered items.
            return collapse([Suspect(task: 0, offsets: tasks[0].unresolved)])
        }
        if page.stage == .definingJob { return .job(page.stageJob) }

        let current = locate(page.current, in: tasks)
        if page.channelLost || unreadable {
            guard let current else { return .nobody }
            let from = page.channelLost ? locate(page.suspectsFrom, in: tasks) ?? Position(task: 0, offset: 0)
                                        : Position(task: 0, offset: 0)
            return collapse(between: from, and: current, in: tasks)
        }
        guard let current else { return .nobody }
        switch page.stage {
        case .encodingOutputs:
            let from = locate(page.stageFrom, in: tasks).flatMap { $0.task == current.task ? $0 : nil }
                ?? Position(task: current.task, offset: 0)
            return collapse(between: from, and: current, in: tasks)
        case .items, .definingJob:
            let unresolved = tasks[current.task].unresolved
            return unresolved.contains(current.offset) ? .item(task: current.task, offset: current.offset) : .nobody
        }
    }

    /// The task (by its tag) and offset a page word names, if the worker still held that task.
    private static func locate(_ word: UInt64, in tasks: [Task]) -> Position? {
        let tag = UInt32(truncatingIfNeeded: word >> 32)
        guard let index = tasks.firstIndex(where: { StatusPage.tag($0.taskID) == tag }) else { return nil }
        return Position(task: index, offset: Int(UInt32(truncatingIfNeeded: word)))
    }

    /// The undelivered items from `from` through `to`, in run order.
    private static func collapse(between from: Position, and to: Position, in tasks: [Task]) -> Verdict {
        guard from <= to else { return .nobody }
        var suspects: [Suspect] = []
        for index in from.task...to.task {
            let unresolved = tasks[index].unresolved
            let low = index == from.task ? max(from.offset, unresolved.lowerBound) : unresolved.lowerBound
            let high = index == to.task ? min(to.offset + 1, unresolved.upperBound) : unresolved.upperBound
            if low < high { suspects.append(Suspect(task: index, offsets: low..<high)) }
        }
        return collapse(suspects)
    }

    private static func collapse(_ suspects: [Suspect]) -> Verdict {
        let nonEmpty = suspects.filter { !$0.offsets.isEmpty }
        let count = nonEmpty.reduce(0) { $0 + $1.offsets.count }
        if count == 0 { return .nobody }
        if count == 1 { return .item(task: nonEmpty[0].task, offset: nonEmpty[0].offsets.lowerBound) }
        return .suspects(nonEmpty)
    }
}
