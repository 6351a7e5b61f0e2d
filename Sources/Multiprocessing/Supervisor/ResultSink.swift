import CMultiprocessing
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

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

/// Where the reactor delivers a call's results and where its caller waits for them. Also the
/// caller's side of backpressure: a stream's feeder waits here while too much is outstanding.
final class ResultSink: Sendable {
    private struct State {
        var pieces: [ResultPiece] = []
        var resolved = 0
        var expected: Int?
        var terminalError: (any Error)?
        var waiter: CheckedContinuation<Void, Never>?
        var spaceWaiter: CheckedContinuation<Void, Never>?
        var submitted = 0
        var consumed = 0
        var bufferedBytes = 0
        /// Counts deliveries, failures and the end of input: a waiter waits for it to move.
        var version = 0
    }

    private let state = Mutex(State())
    private let progress: ProgressReporter?

    init(progress: ProgressReporter? = nil) {
        self.progress = progress
    }

    // MARK: Producer side (reactor, feeder)

    func deliver(_ piece: ResultPiece) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.resolved += piece.count
            state.bufferedBytes += piece.outputs.count
            state.pieces.append(piece)
            state.version += 1
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
        progress?.advance(by: piece.count, failed: piece.failures.count)
    }

    /// Ends the call with `error` (cancellation, termination); later deliveries are ignored by readers.
    func fail(_ error: any Error) {
        let (waiter, spaceWaiter) = state.withLock { state in
            if state.terminalError == nil { state.terminalError = error }
            state.version += 1
            defer { state.waiter = nil; state.spaceWaiter = nil }
            return (state.waiter, state.spaceWaiter)
        }
        waiter?.resume()
        spaceWaiter?.resume()
    }

    /// No more items will be submitted: the call has `total` items in all.
    func inputFinished(total: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.expected = total
            state.version += 1
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func addSubmitted(_ items: Int) {
        state.withLock { $0.submitted += items }
    }

    var terminalError: (any Error)? { state.withLock { $0.terminalError } }

    /// Waits awake, yielding the CPU, until the call is finished or `nanoseconds` have passed.
    func spinUntilFinished(atMost nanoseconds: UInt64) {
        let start = cmp_monotonic_ns()
        while !isFinished && cmp_monotonic_ns() &- start < nanoseconds {
            sched_yield()
        }
    }

    /// Every item resolved, or the call ended.
    var isFinished: Bool {
        state.withLock { state in
            state.terminalError != nil || (state.expected.map { state.resolved >= $0 } ?? false)
        }
    }

    // MARK: Consumer side

    /// Every piece, once all items are resolved (or the first terminal error).
    func waitForAll() async throws -> [ResultPiece] {
        while true {
            var seen = 0
            let outcome: Result<[ResultPiece], any Error>? = state.withLock { state in
                seen = state.version
                if let error = state.terminalError { return .failure(error) }
                if let expected = state.expected, state.resolved >= expected {
                    defer { state.pieces = [] }
                    return .success(state.pieces)
                }
                return nil
            }
            if let outcome { return try outcome.get() }
            await waitForChange(since: seen)
        }
    }

    /// The pieces that arrived since the last call; nil once every item was delivered.
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
                if let expected = state.expected, state.resolved >= expected { return .success(nil) }
                return nil
            }
            if let outcome { return try outcome.get() }
            await waitForChange(since: seen)
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
                if let expected = state.expected, state.resolved >= expected {
                    defer { state.pieces = [] }
                    return .success(state.pieces)
                }
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
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    // MARK: Backpressure

    /// The consumer took `items` items out of what it was given.
    func consumed(_ items: Int) {
        let spaceWaiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.consumed += items
            defer { state.spaceWaiter = nil }
            return state.spaceWaiter
        }
        spaceWaiter?.resume()
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
                    state.spaceWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }
}
