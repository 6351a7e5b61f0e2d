import Synchronization

/// Outcomes of consecutive items of one call, as they arrive from a worker: the items'
/// positions, their failures, and the other items' outputs still encoded (the consumer decodes
/// them, off the reactor thread).
struct ResultPiece: Sendable {
    /// The position of the first item in the call's input.
    var firstIndex: Int
    var count: Int
    /// Sorted by index.
    var failures: [(index: Int, failure: JobFailure)]
    var outputs: Payload
}

/// Where the reactor delivers a call's results and where its callers wait for them. Also the
/// caller's side of backpressure: a stream's feeder waits here while too much is outstanding.
///
/// Any number of tasks may wait at once; each is resumed by whoever changes the state (the
/// reactor, the feeder, the consumer), never by polling.
final class ResultSink: Sendable {
    private struct State {
        var pieces: [ResultPiece] = []
        var resolved = 0
        var expected: Int?
        var terminalError: (any Error)?
        /// The input's own failure: reported once the items read before it are delivered.
        var inputError: (any Error)?
        var waiters: [CheckedContinuation<Void, Never>] = []
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
        var submitted = 0
        var consumed = 0
        var bufferedBytes = 0
        /// Counts deliveries, failures and the end of input: a waiter waits for it to move.
        var version = 0

        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { waiters.removeAll() }
            return waiters
        }

        mutating func takeSpaceWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { spaceWaiters.removeAll() }
            return spaceWaiters
        }
    }

    private let state = Mutex(State())
    private let progress: ProgressReporter?

    init(progress: ProgressReporter? = nil) {
        self.progress = progress
    }

    // MARK: Producer side (reactor, feeder)

    func deliver(_ piece: ResultPiece) {
        // Counted before a reader can see the piece: a stream that has read everything has its
        // progress at the total.
        progress?.advance(by: piece.count, failed: piece.failures.count)
        let waiters = state.withLock { state in
            state.resolved += piece.count
            state.bufferedBytes += piece.outputs.count
            state.pieces.append(piece)
            state.version += 1
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Ends the call with `error` (cancellation, termination); later deliveries are ignored by readers.
    func fail(_ error: any Error) {
        let (waiters, spaceWaiters) = state.withLock { state in
            if state.terminalError == nil { state.terminalError = error }
            state.version += 1
            return (state.takeWaiters(), state.takeSpaceWaiters())
        }
        for waiter in waiters { waiter.resume() }
        for waiter in spaceWaiters { waiter.resume() }
    }

    /// No more items will be submitted: the call has `total` items in all.
    func inputFinished(total: Int) {
        inputEnded(total: total, error: nil)
    }

    /// The input failed after `total` items were submitted: those are delivered first, then
    /// a stream's consumer gets `error`.
    func inputFailed(_ error: any Error, total: Int) {
        inputEnded(total: total, error: error)
    }

    private func inputEnded(total: Int, error: (any Error)?) {
        let waiters = state.withLock { state in
            state.expected = total
            state.inputError = error
            state.version += 1
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    func addSubmitted(_ items: Int) {
        state.withLock { $0.submitted += items }
    }

    var terminalError: (any Error)? { state.withLock { $0.terminalError } }

    /// Every item resolved, or the call ended.
    var isFinished: Bool {
        state.withLock { state in
            state.terminalError != nil || (state.expected.map { state.resolved >= $0 } ?? false)
        }
    }

    // MARK: Consumer side

    /// Every piece, once all items are resolved (or the first terminal error). The pieces stay:
    /// another reader, or the same one again, gets them too.
    func waitForAll() async throws -> [ResultPiece] {
        while true {
            var seen = 0
            let outcome: Result<[ResultPiece], any Error>? = state.withLock { state in
                seen = state.version
                if let error = state.terminalError { return .failure(error) }
                if let expected = state.expected, state.resolved >= expected { return .success(state.pieces) }
                return nil
            }
            if let outcome { return try outcome.get() }
            await waitForChange(since: seen)
        }
    }

    /// The pieces that arrived since the last call; nil once every item was delivered, or the
    /// input's own error then. For a stream's one consumer: the pieces are handed over.
    func nextPieces() async throws -> [ResultPiece]? {
        while true {
            var seen = 0
            let outcome: Result<[ResultPiece]?, any Error>? = state.withLock { state in
                seen = state.version
                if let error = state.terminalError { return .failure(error) }
                if !state.pieces.isEmpty {
                    defer { state.pieces = []; state.bufferedBytes = 0 }
                    return .success(state.pieces)
                }
                if let expected = state.expected, state.resolved >= expected {
                    if let error = state.inputError { return .failure(error) }
                    return .success(nil)
                }
                return nil
            }
            if let outcome { return try outcome.get() }
            await waitForChange(since: seen)
        }
    }

    /// The pieces delivered since the last take, whatever else happened (a call that ended
    /// early keeps the pieces it got before): for the supervisor's model test, which checks
    /// every delivery without a consumer's rules. Never suspends.
    func takeDelivered() -> [ResultPiece] {
        state.withLock { state in
            defer { state.pieces = []; state.bufferedBytes = 0 }
            return state.pieces
        }
    }

    /// The first piece's first failure, as soon as one arrives, or every piece once all are in.
    func waitForAllOrFirstFailure() async throws -> [ResultPiece] {
        while true {
            var seen = 0
            let outcome: Result<[ResultPiece], any Error>? = state.withLock { state in
                seen = state.version
                if let error = state.terminalError { return .failure(error) }
                if let failed = state.pieces.first(where: { !$0.failures.isEmpty }) {
                    return .failure(failed.failures[0].failure)
                }
                if let expected = state.expected, state.resolved >= expected { return .success(state.pieces) }
                return nil
            }
            if let outcome { return try outcome.get() }
            await waitForChange(since: seen)
        }
    }

    /// Suspends until something was delivered, failed or finished after `version` was read.
    private func waitForChange(since version: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.version != version { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    // MARK: Backpressure

    /// The consumer took `items` items out of what it was given.
    func consumed(_ items: Int) {
        let spaceWaiters = state.withLock { state in
            state.consumed += items
            return state.takeSpaceWaiters()
        }
        for waiter in spaceWaiters { waiter.resume() }
    }

    func hasSpace(window: Int, maxBytes: Int) -> Bool {
        state.withLock { $0.submitted - $0.consumed < window && $0.bufferedBytes < maxBytes }
    }

    /// Waits until fewer than `window` submitted items are unconsumed and under `maxBytes` of
    /// results wait for the consumer. Returns false when the call has ended.
    func waitForSpace(window: Int, maxBytes: Int) async -> Bool {
        while true {
            let verdict: Bool? = state.withLock { state in
                if state.terminalError != nil { return false }
                if state.submitted - state.consumed < window && state.bufferedBytes < maxBytes { return true }
                return nil
            }
            if let verdict { return verdict }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.terminalError != nil
                        || (state.submitted - state.consumed < window && state.bufferedBytes < maxBytes) {
                        return true
                    }
                    state.spaceWaiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }
}
