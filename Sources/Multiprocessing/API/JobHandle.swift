/// Work submitted to a pool whose result comes later: Python's `AsyncResult` (from
/// `apply_async`) and `concurrent.futures.Future` (from `submit`).
///
/// A handle is a value: ``value`` and ``result`` may be read any number of times, by any number
/// of tasks at once, before and after the work finished, and every read gets the same outcome
/// (copies of a handle share it). ``cancel()`` drops the work if it has not started and kills
/// its worker if it has (the pool replaces it); every read then throws `CancellationError`.
///
/// Cancelling a task that awaits ``value`` ends only that task's read, with
/// `CancellationError`: the work and the other readers go on, as a Python `AsyncResult.get`
/// that times out leaves its work running. Call ``cancel()`` to stop the work itself.
public struct JobHandle<Output: Sendable>: Sendable {
    let backend: any JobHandleBackend<Output>
    let outcome = JobOutcome<Output>()

    /// A handle over another kind of pool's work (such as a distributed pool's).
    public init(_ backend: some JobHandleBackend<Output>) {
        self.backend = backend
    }

    /// The job's output, once it is done.
    ///
    /// - Throws: The work's failure (a ``JobFailure`` from a ``ProcessPool``), the same on every
    ///   read; `CancellationError` if the work was cancelled, or if the task reading was
    ///   cancelled before the outcome was known (that read only).
    public var value: Output {
        get async throws {
            try await outcome.value { [backend] in try await backend.value }
        }
    }

    /// The outcome, without throwing: what ``value`` returns or throws.
    public var result: Result<Output, any Error> {
        get async {
            do { return .success(try await value) } catch { return .failure(error) }
        }
    }

    /// Stops the work: dropped if queued, its worker killed if running. Reading ``value``
    /// then throws `CancellationError`.
    public func cancel() {
        backend.cancel()
    }

    /// Whether the work has finished (succeeded, failed or been cancelled).
    public var isFinished: Bool { outcome.isKnown || backend.isFinished }
}

/// What stands behind a ``JobHandle``: one call in a ``ProcessPool``, or work in another
/// kind of pool that offers the same calls (see ``JobPool``).
public protocol JobHandleBackend<Output>: Sendable {
    /// The work's output type.
    associatedtype Output: Sendable
    /// The output once the work is done. A ``JobHandle`` reads it once, from a task of its own
    /// that is never cancelled, and keeps the outcome for all its readers.
    var value: Output { get async throws }
    /// Stops the work.
    func cancel()
    /// Whether the work has finished.
    var isFinished: Bool { get }
}
