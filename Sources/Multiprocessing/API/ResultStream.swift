import DequeModule
import Synchronization

/// The outputs of ``ProcessPool``'s `imap` (in input order) and `imapUnordered` (as they
/// complete), while the input is still being read.
///
/// Memory stays bounded: the input is read only as far as the consumer keeps up (plus a window
/// that keeps every worker busy). Iteration throws the first ``JobFailure``, which ends the
/// stream; leaving the loop early, or cancelling its task, stops the remaining work.
///
/// When the input fails (an asynchronous input throws, or an item cannot be encoded), the
/// results of the items read before it come first, then iteration throws the input's error
/// (for an item that cannot be encoded, its ``JobFailure`` with
/// ``JobFailure/Reason/codingFailed(_:)`` and its index), as Python's `imap` does.
///
/// Iterating in a cancelled task throws `CancellationError` (not nil), whatever the pool.
public struct ResultStream<Element: Sendable>: AsyncSequence, Sendable {
    public typealias Failure = any Error

    let start: @Sendable () -> any ResultSource<Element>

    init(start: @escaping @Sendable () -> any ResultSource<Element>) {
        self.start = start
    }

    /// A stream of results that another kind of pool (such as a distributed one) produces:
    /// `makeStream` is called once per iteration and gives the elements, then ends or throws.
    public init(_ makeStream: @escaping @Sendable () -> AsyncThrowingStream<Element, any Error>) {
        start = { StreamSource(makeStream().makeAsyncIterator()) }
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(state: start())
    }

    /// Reads the stream's outputs; one iterator per stream.
    public struct Iterator: AsyncIteratorProtocol {
        let state: any ResultSource<Element>
        private var ended = false

        init(state: any ResultSource<Element>) {
            self.state = state
        }

        public mutating func next() async throws -> Element? {
            guard !ended else { return nil }
            do {
                try Task.checkCancellation()
                guard let element = try await state.next() else {
                    // A source may end quietly when its task is cancelled (an
                    // `AsyncThrowingStream` does): that is a cancellation too.
                    try Task.checkCancellation()
                    ended = true
                    return nil
                }
                return element
            } catch {
                ended = true
                state.stop()
                throw error
            }
        }
    }
}

/// Where a ``ResultStream``'s iterator takes its elements from.
protocol ResultSource<Element>: AnyObject {
    associatedtype Element
    func next() async throws -> Element?
    /// The consumer stops (an error ended the iteration): the remaining work is not wanted.
    func stop()
}

/// A result source over an `AsyncThrowingStream` (for pools other than ``ProcessPool``).
final class StreamSource<Element: Sendable>: ResultSource {
    private var iterator: AsyncThrowingStream<Element, any Error>.Iterator

    init(_ iterator: AsyncThrowingStream<Element, any Error>.Iterator) {
        self.iterator = iterator
    }

    /// An AsyncThrowingStream ends quietly when its consumer is cancelled; the iterator turns
    /// that into CancellationError, as for a ProcessPool's stream.
    func next() async throws -> Element? {
        try await iterator.next()
    }

    /// Nothing to do: dropping the iterator ends the stream (its `onTermination` runs).
    func stop() {}
}

/// The consumer's side of a stream: reorders (for `imap`), decodes, and reports consumption
/// for backpressure. Used by one iterator at a time.
final class StreamState<Element: Sendable>: ResultSource, @unchecked Sendable {
    // @unchecked: an iterator is used by one task at a time (AsyncIteratorProtocol's contract);
    // the mutable buffers are touched only from `next()`.

    private let pool: ProcessPool
    private let callID: UInt64
    private let sink: ResultSink
    private let ordered: Bool
    private let decode: (ResultPiece) -> [Result<Element, JobFailure>]
    private let feeder: Task<Void, Never>
    private var ready = Deque<Result<Element, JobFailure>>()
    private var waitingPieces: [Int: [Result<Element, JobFailure>]] = [:]
    private var nextIndex = 0
    private var unreportedConsumption = 0
    private var finished = false

    init(pool: ProcessPool, callID: UInt64, sink: ResultSink, ordered: Bool,
         decode: @escaping (ResultPiece) -> [Result<Element, JobFailure>], feeder: Task<Void, Never>) {
        self.pool = pool
        self.callID = callID
        self.sink = sink
        self.ordered = ordered
        self.decode = decode
        self.feeder = feeder
    }

    deinit {
        // The loop ended early (break, throw): stop the feeder and the call's remaining work.
        feeder.cancel()
        if !finished { pool.cancel(callID: callID) }
    }

    func next() async throws -> Element? {
        while true {
            if let item = ready.popFirst() {
                unreportedConsumption += 1
                if unreportedConsumption >= 16 || ready.isEmpty { reportConsumption() }
                switch item {
                case let .success(value):
                    return value
                case let .failure(failure):
                    finish(cancelRest: true)
                    throw failure
                }
            }
            if finished { return nil }
            reportConsumption()
            let pieces: [ResultPiece]?
            do {
                pieces = try await withTaskCancellationHandler {
                    try await sink.nextPieces()
                } onCancel: { [pool, callID] in
                    pool.cancel(callID: callID)
                }
            } catch {
                finish(cancelRest: true)
                throw error
            }
            guard let pieces else {
                finish(cancelRest: false)
                return nil
            }
            place(pieces)
        }
    }

    private func place(_ pieces: [ResultPiece]) {
        if !ordered {
            for piece in pieces { ready.append(contentsOf: decode(piece)) }
            return
        }
        for piece in pieces { waitingPieces[piece.firstIndex] = decode(piece) }
        while let items = waitingPieces.removeValue(forKey: nextIndex) {
            nextIndex += items.count
            ready.append(contentsOf: items)
        }
    }

    private func reportConsumption() {
        guard unreportedConsumption > 0 else { return }
        sink.consumed(unreportedConsumption)
        unreportedConsumption = 0
    }

    func stop() {
        finish(cancelRest: true)
    }

    private func finish(cancelRest: Bool) {
        guard !finished else { return }
        finished = true
        ready.removeAll()
        feeder.cancel()
        if cancelRest { pool.cancel(callID: callID) }
    }
}

extension ProcessPool {
    /// Runs `job` on each input as it is read, and yields the outputs in input order (Python's
    /// `Pool.imap`). `inputs` may be endless; it is read only as fast as results are consumed.
    public func imap<J: Job, S: Sequence & Sendable>(
        _ job: J, _ inputs: S, chunkSize: Int = 1, timeout: Duration? = nil, retries: Int? = nil,
        progress: ProgressReporter? = nil
    ) throws -> ResultStream<J.Output> where S.Element == J.Input {
        try stream(job, SequenceFeed(inputs), chunkSize: chunkSize, timeout: timeout, retries: retries,
                   progress: progress, ordered: true)
    }

    /// Runs `job` on each input and yields the outputs as they complete (Python's
    /// `Pool.imap_unordered`).
    public func imapUnordered<J: Job, S: Sequence & Sendable>(
        _ job: J, _ inputs: S, chunkSize: Int = 1, timeout: Duration? = nil, retries: Int? = nil,
        progress: ProgressReporter? = nil
    ) throws -> ResultStream<J.Output> where S.Element == J.Input {
        try stream(job, SequenceFeed(inputs), chunkSize: chunkSize, timeout: timeout, retries: retries,
                   progress: progress, ordered: false)
    }

    /// `imap` over an asynchronous input (a channel of URLs,
    /// lines of a file): each chunk is sent as soon as it is read.
    public func imap<J: Job, S: AsyncSequence & Sendable>(
        _ job: J, _ inputs: S, chunkSize: Int = 1, timeout: Duration? = nil, retries: Int? = nil,
        progress: ProgressReporter? = nil
    ) throws -> ResultStream<J.Output> where S.Element == J.Input {
        try stream(job, AsyncFeed(inputs), chunkSize: chunkSize, timeout: timeout, retries: retries,
                   progress: progress, ordered: true)
    }

    /// `imapUnordered` over an asynchronous input.
    public func imapUnordered<J: Job, S: AsyncSequence & Sendable>(
        _ job: J, _ inputs: S, chunkSize: Int = 1, timeout: Duration? = nil, retries: Int? = nil,
        progress: ProgressReporter? = nil
    ) throws -> ResultStream<J.Output> where S.Element == J.Input {
        try stream(job, AsyncFeed(inputs), chunkSize: chunkSize, timeout: timeout, retries: retries,
                   progress: progress, ordered: false)
    }

    /// Like `imap` over a sequence, but a failed item is yielded as a failure
    /// and the stream goes on: every input gets its own `Result`, in input order.
    public func imapResults<J: Job, S: Sequence & Sendable>(
        _ job: J, _ inputs: S, chunkSize: Int = 1, timeout: Duration? = nil, retries: Int? = nil,
        progress: ProgressReporter? = nil
    ) throws -> ResultStream<Result<J.Output, JobFailure>> where S.Element == J.Input {
        try stream(job, SequenceFeed(inputs), chunkSize: chunkSize, timeout: timeout, retries: retries,
                   progress: progress, ordered: true, yieldingFailures: true)
    }

    /// Like `imapUnordered` over a sequence, but a failed item is yielded as a
    /// failure (its ``JobFailure/index`` says which input it was) and the stream goes on.
    public func imapUnorderedResults<J: Job, S: Sequence & Sendable>(
        _ job: J, _ inputs: S, chunkSize: Int = 1, timeout: Duration? = nil, retries: Int? = nil,
        progress: ProgressReporter? = nil
    ) throws -> ResultStream<Result<J.Output, JobFailure>> where S.Element == J.Input {
        try stream(job, SequenceFeed(inputs), chunkSize: chunkSize, timeout: timeout, retries: retries,
                   progress: progress, ordered: false, yieldingFailures: true)
    }

    /// ``imapUnorderedResults(_:_:chunkSize:timeout:retries:progress:)`` over an asynchronous input.
    public func imapUnorderedResults<J: Job, S: AsyncSequence & Sendable>(
        _ job: J, _ inputs: S, chunkSize: Int = 1, timeout: Duration? = nil, retries: Int? = nil,
        progress: ProgressReporter? = nil
    ) throws -> ResultStream<Result<J.Output, JobFailure>> where S.Element == J.Input {
        try stream(job, AsyncFeed(inputs), chunkSize: chunkSize, timeout: timeout, retries: retries,
                   progress: progress, ordered: false, yieldingFailures: true)
    }

    /// Items that may be submitted but not yet consumed: enough to keep every worker's
    /// pipeline full, not so many that a slow consumer makes the pool buffer everything.
    func streamWindow(chunkSize: Int) -> Int {
        max(chunkSize * workerCount * 64, 1024)
    }

    static let streamBufferedBytesLimit = 64 << 20

    private func stream<J: Job, F: InputFeed>(
        _ job: J, _ feed: F, chunkSize: Int, timeout: Duration?, retries: Int?, progress: ProgressReporter?,
        ordered: Bool
    ) throws -> ResultStream<J.Output> where F.Element == J.Input {
        try stream(job, feed, chunkSize: chunkSize, timeout: timeout, retries: retries, progress: progress,
                   ordered: ordered) { $0 }
    }

    private func stream<J: Job, F: InputFeed>(
        _ job: J, _ feed: F, chunkSize: Int, timeout: Duration?, retries: Int?, progress: ProgressReporter?,
        ordered: Bool, yieldingFailures: Bool
    ) throws -> ResultStream<Result<J.Output, JobFailure>> where F.Element == J.Input {
        // Every item becomes a successful element carrying its own result, so none ends the stream.
        try stream(job, feed, chunkSize: chunkSize, timeout: timeout, retries: retries, progress: progress,
                   ordered: ordered) { .success($0) }
    }

    private func stream<J: Job, F: InputFeed, Element: Sendable>(
        _ job: J, _ feed: F, chunkSize: Int, timeout: Duration?, retries: Int?, progress: ProgressReporter?,
        ordered: Bool, wrap: @escaping @Sendable (Result<J.Output, JobFailure>) -> Result<Element, JobFailure>
    ) throws -> ResultStream<Element> where F.Element == J.Input {
        try ensureOpen()
        guard chunkSize >= 1 else { throw ProcessPoolError.invalidArgument("chunk size must be at least 1, not \(chunkSize)") }
        let encodedJob = try EncodedJob(job)
        let options = try callOptions(timeout: timeout, retries: retries, typeRetries: J.retries, reportsIndex: true)
        let jobType = encodedJob.displayName
        return ResultStream(start: { [self] in
            let callID = nextCallID()
            let sink = openCall(id: callID, kind: .chunks, job: encodedJob, options: options, progress: progress)
            let feeder = Task { [self] in
                await feed.feed(pool: self, callID: callID, sink: sink, chunkSize: chunkSize, jobType: jobType)
            }
            return StreamState(pool: self, callID: callID, sink: sink, ordered: ordered, decode: { piece in
                (PieceDecoding.results(piece, jobType: jobType) as [Result<J.Output, JobFailure>]).map(wrap)
            }, feeder: feeder)
        })
    }
}
