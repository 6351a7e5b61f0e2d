import Synchronization

extension JobPool {
    /// Python's `Pool.map_async`: starts ``JobPool/map(_:_:chunkSize:timeout:retries:progress:)``
    /// and returns at once with a handle on its outputs, in input order.
    ///
    /// `callback` runs with the outputs, and `errorCallback` with the error (a ``JobFailure``,
    /// or `CancellationError` once the handle is cancelled), in this process, on a task of the
    /// library's, before the handle's ``JobHandle/value`` returns: never on the pool's own
    /// thread, so they may take their time. As in Python, one failed item fails the whole call;
    /// ``ProcessPool/mapResults(_:_:chunkSize:timeout:retries:progress:)`` keeps the others.
    /// ``JobHandle/cancel()`` stops the call: its queued items are dropped and its running
    /// items' workers killed.
    ///
    /// ```swift
    /// let handle = pool.mapAsync(Square(), Array(1...100), callback: { squares in
    ///     print("done:", squares.count)
    /// })
    /// // ... other work ...
    /// let squares = try await handle.value
    /// ```
    public func mapAsync<J: Job>(
        _ job: J, _ inputs: [J.Input], chunkSize: Int? = nil, timeout: Duration? = nil, retries: Int? = nil,
        callback: (@Sendable ([J.Output]) -> Void)? = nil,
        errorCallback: (@Sendable (any Error) -> Void)? = nil
    ) -> JobHandle<[J.Output]> {
        JobHandle(TaskHandleBackend {
            do {
                let outputs = try await self.map(job, inputs, chunkSize: chunkSize, timeout: timeout,
                                                 retries: retries, progress: nil)
                callback?(outputs)
                return outputs
            } catch {
                errorCallback?(error)
                throw error
            }
        })
    }

    /// Python's `Pool.starmap_async`: ``mapAsync(_:_:chunkSize:timeout:retries:callback:errorCallback:)``
    /// whose inputs are a job's several arguments in one struct (see ``ProcessPool/starmap(_:_:chunkSize:)``).
    public func starmapAsync<J: Job>(
        _ job: J, _ inputs: [J.Input], chunkSize: Int? = nil, timeout: Duration? = nil, retries: Int? = nil,
        callback: (@Sendable ([J.Output]) -> Void)? = nil,
        errorCallback: (@Sendable (any Error) -> Void)? = nil
    ) -> JobHandle<[J.Output]> {
        mapAsync(job, inputs, chunkSize: chunkSize, timeout: timeout, retries: retries,
                 callback: callback, errorCallback: errorCallback)
    }
}

/// A handle's work as a task of its own (``JobPool/mapAsync(_:_:chunkSize:timeout:retries:callback:errorCallback:)``):
/// cancelling it cancels the task, which stops the call it awaits.
struct TaskHandleBackend<Output: Sendable>: JobHandleBackend {
    private let task: Task<Output, any Error>
    private let finished: Finished

    /// Set when the work ended, whichever way.
    private final class Finished: Sendable {
        let flag = Atomic<Bool>(false)
    }

    init(_ work: @escaping @Sendable () async throws -> Output) {
        let finished = Finished()
        self.finished = finished
        task = Task {
            defer { finished.flag.store(true, ordering: .releasing) }
            return try await work()
        }
    }

    var value: Output {
        get async throws { try await task.value }
    }

    func cancel() { task.cancel() }

    var isFinished: Bool { finished.flag.load(ordering: .acquiring) }
}
