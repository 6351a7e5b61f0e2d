import DequeModule

/// A call's inputs, cut into chunks and encoded once; a task runs a range of one chunk.
struct Chunk: Sendable {
    /// The position in the call's input of the chunk's first item.
    var firstIndex: Int
    var count: Int
    /// The encoded `[Input]` (empty for a target, which has one item and no input).
    var inputs: Payload
}

/// Work to hand to a worker: a range of a chunk, and why earlier attempts at it failed.
struct TaskSpec {
    var callID: UInt64
    var chunk: Chunk
    var range: Range<Int>
    /// Causes of earlier failed attempts (a retried item).
    var attempts: [JobFailure.Reason] = []
    /// Times the task was re-run after a worker died without blaming any of its items.
    var unblamedCrashes = 0
    /// Runs alone on its worker, nothing else in flight there: a death is then its own (see
    /// ``Blame``). Set on the items of a death that could not be told apart.
    var isolated = false
    /// Deaths among other suspects this item was in; each counts as an attempt once a death is
    /// charged to it.
    var suspectRuns = 0
}

/// A task on a worker, and how far its results have come back.
struct InFlightTask {
    var taskID: UInt64
    var spec: TaskSpec
    var resolvedUpTo: Int
    /// Asked back from the worker for an idle one (see `PoolCore.stealForIdleWorkers`).
    var stealRequested = false
    /// When it was sent (the reactor's clock), for the task-duration metric.
    var sentAt: UInt64

    init(taskID: UInt64, spec: TaskSpec, sentAt: UInt64 = 0) {
        self.taskID = taskID
        self.spec = spec
        self.sentAt = sentAt
        resolvedUpTo = spec.range.lowerBound
    }
}

/// Per-call settings: how long an item may run, how often it is retried, how to cancel.
struct CallOptions: Sendable {
    var timeout: Duration?
    var retries = 0
    /// Let running items finish when the call is cancelled, instead of killing their workers.
    var gracefulCancel = false
    /// Item positions are meaningful (map, imap); an `apply` reports none.
    var reportsIndex = true
}

/// One `map`, stream, `apply` or target run: the reactor's record of its work.
/// Confined to the reactor thread.
final class CallState {
    enum Kind { case chunks, target }

    let id: UInt64
    let kind: Kind
    let jobID: UInt32
    let jobType: String
    let options: CallOptions
    let sink: ResultSink
    var pending = Deque<TaskSpec>()
    var inFlight = 0
    var inputFinished = false
    /// Ended early (cancelled, failed fast, terminated): late results are ignored.
    var ended = false
    /// Workers that died decoding this call's job value.
    var definitionDeaths = 0
    /// Mean nanoseconds per item, from what workers report.
    private(set) var itemNanos: Double?

    init(id: UInt64, kind: Kind, jobID: UInt32, jobType: String, options: CallOptions, sink: ResultSink) {
        self.id = id
        self.kind = kind
        self.jobID = jobID
        self.jobType = jobType
        self.options = options
        self.sink = sink
    }

    var isComplete: Bool { (ended || inputFinished) && pending.isEmpty && inFlight == 0 }

    func recordTiming(items: Int, nanos: UInt64) {
        guard items > 0 else { return }
        let sample = Double(nanos) / Double(items)
        itemNanos = itemNanos.map { 0.8 * $0 + 0.2 * sample } ?? sample
    }

    /// How many of this call's tasks a worker should hold at once: deep for tiny tasks (so no
    /// worker waits a round trip between them), one for slow ones (so none waits behind another).
    func pipelineDepth(taskItems: Int) -> Int {
        guard let itemNanos else { return 2 }
        let taskNanos = itemNanos * Double(max(taskItems, 1))
        if taskNanos >= 50_000_000 { return 1 }
        return min(64, 2 + Int(2_000_000 / max(taskNanos, 1)))
    }
}
