import Synchronization

/// The outcome of a handle's work, fetched once and kept, so that every read of the handle
/// (from any task, before or after the work finished) gets the same one.
///
/// The first read starts the fetch in a task of its own, which no reader's cancellation reaches:
/// a reader that is cancelled stops waiting (its read throws `CancellationError`) while the work
/// and the other readers go on.
final class JobOutcome<Output: Sendable>: Sendable {
    private struct State {
        var outcome: Result<Output, any Error>?
        var fetching = false
        var readers: [UInt64: CheckedContinuation<Output, any Error>] = [:]
        var nextReader: UInt64 = 0
    }

    private let state = Mutex(State())

    /// What a reader does once it is listed.
    private enum Next {
        case wait, start
        case resume(Result<Output, any Error>)
    }

    init() {}

    /// Whether the outcome is known.
    var isKnown: Bool { state.withLock { $0.outcome != nil } }

    /// The outcome, fetched by `fetch` on the first read.
    func value(fetch: @escaping @Sendable () async throws -> Output) async throws -> Output {
        let reader: UInt64
        do {
            let known: Result<Output, any Error>?
            (known, reader) = state.withLock { state in
                defer { state.nextReader += 1 }
                return (state.outcome, state.nextReader)
            }
            if let known { return try known.get() }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, any Error>) in
                let next = state.withLock { state -> Next in
                    if let outcome = state.outcome { return .resume(outcome) }
                    // Cancelled before it was listed: the handler below found nothing to resume.
                    if Task.isCancelled { return .resume(.failure(CancellationError())) }
                    state.readers[reader] = continuation
                    if state.fetching { return .wait }
                    state.fetching = true
                    return .start
                }
                switch next {
                case .wait:
                    break
                case let .resume(outcome):
                    continuation.resume(with: outcome)
                case .start:
                    Task { [self] in
                        do {
                            settle(.success(try await fetch()))
                        } catch {
                            settle(.failure(error))
                        }
                    }
                }
            }
        } onCancel: {
            let continuation = state.withLock { $0.readers.removeValue(forKey: reader) }
            continuation?.resume(throwing: CancellationError())
        }
    }

    private func settle(_ outcome: Result<Output, any Error>) {
        let readers = state.withLock { state -> [CheckedContinuation<Output, any Error>] in
            state.outcome = outcome
            defer { state.readers.removeAll() }
            return Array(state.readers.values)
        }
        for reader in readers { reader.resume(with: outcome) }
    }
}
