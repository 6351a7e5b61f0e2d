#if Postgres
import Multiprocessing
import Synchronization

// The calls of `JobPool`, as on a local pool. `chunkSize` is accepted for the same signature
// and not used: hosts claim tasks in batches of their own size.
extension DistributedProcessPool {
    /// Runs `job` on every input on the worker hosts and returns the outputs in input order.
    /// Throws the first `JobFailure` (and cancels the rest of the job);
    /// cancelling the calling task cancels the job and throws `CancellationError`.
    public func map<J: Job>(
        _ job: J, _ inputs: some Sequence<J.Input>, chunkSize: Int? = nil,
        timeout: Duration? = nil, retries: Int? = nil, progress: ProgressReporter? = nil
    ) async throws -> [J.Output] {
        try await runMap(job, inputs, timeout: timeout, retries: retries, priority: nil, progress: progress)
    }

    /// ``map(_:_:chunkSize:timeout:retries:progress:)`` at `priority` (higher first) instead of
    /// the pool's ``DistributedProcessPool/Options/priority``.
    public func map<J: Job>(
        _ job: J, _ inputs: some Sequence<J.Input>, priority: Int, chunkSize: Int? = nil,
        timeout: Duration? = nil, retries: Int? = nil, progress: ProgressReporter? = nil
    ) async throws -> [J.Output] {
        try await runMap(job, inputs, timeout: timeout, retries: retries, priority: priority, progress: progress)
    }

    private func runMap<J: Job>(
        _ job: J, _ inputs: some Sequence<J.Input>, timeout: Duration?, retries: Int?, priority: Int?,
        progress: ProgressReporter?
    ) async throws -> [J.Output] {
        let handle = try await startCall(job, inputs, timeout: timeout, retries: retries, priority: priority)
        return try await cancellingOnFailure(handle) {
            var outputs = [J.Output?](repeating: nil, count: handle.total)
            for try await outcome in handle.outcomes() {
                outputs[outcome.index] = try outcome.result.get()
                progress?.advance()
            }
            try Task.checkCancellation()
            return outputs.map { $0! }
        }
    }

    /// Yields the outputs in input order as hosts finish them.
    public func imap<J: Job, S: Sequence & Sendable>(
        _ job: J, _ inputs: S, chunkSize: Int = 1, timeout: Duration? = nil, retries: Int? = nil,
        progress: ProgressReporter? = nil
    ) throws -> ResultStream<J.Output> where S.Element == J.Input {
        stream(job, inputs, ordered: true, timeout: timeout, retries: retries, progress: progress)
    }

    /// Yields the outputs as hosts finish them.
    public func imapUnordered<J: Job, S: Sequence & Sendable>(
        _ job: J, _ inputs: S, chunkSize: Int = 1, timeout: Duration? = nil, retries: Int? = nil,
        progress: ProgressReporter? = nil
    ) throws -> ResultStream<J.Output> where S.Element == J.Input {
        stream(job, inputs, ordered: false, timeout: timeout, retries: retries, progress: progress)
    }

    /// Runs `job` on one input on a worker host and returns its output.
    public func apply<J: Job>(_ job: J, _ input: J.Input, timeout: Duration? = nil, retries: Int? = nil)
        async throws -> J.Output {
        try await map(job, [input], timeout: timeout, retries: retries)[0]
    }

    /// Submits `job` on one input and returns at once with a handle to await or cancel.
    public func submit<J: Job>(_ job: J, _ input: J.Input, timeout: Duration? = nil, retries: Int? = nil)
        throws -> JobHandle<J.Output> {
        let finished = OnceFlag()
        let work = Task {
            defer { finished.set() }
            let handle = try await startCall(job, [input], timeout: timeout, retries: retries)
            return try await cancellingOnFailure(handle) { try await handle.results()[0].get() }
        }
        return JobHandle(RemoteCallHandle(work: work, finished: finished))
    }

    private func stream<J: Job, S: Sequence & Sendable>(
        _ job: J, _ inputs: S, ordered: Bool, timeout: Duration?, retries: Int?, progress: ProgressReporter?
    ) -> ResultStream<J.Output> where S.Element == J.Input {
        ResultStream { [self] in
            let call = StreamedCall<J.Output>(pool: self, ordered: ordered, progress: progress) { [self] in
                try await startCall(job, inputs, timeout: timeout, retries: retries)
            }
            return AsyncThrowingStream { try await call.next() }
        }
    }

    /// ``start(_:_:timeout:retries:priority:)`` for a call: cancelled while it submits, it throws `CancellationError`.
    private func startCall<J: Job>(_ job: J, _ inputs: some Sequence<J.Input>, timeout: Duration?, retries: Int?,
                                   priority: Int? = nil) async throws -> DistributedJob<J.Output> {
        do {
            return try await start(job, inputs, timeout: timeout, retries: retries, priority: priority)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    /// Runs `body`; if it fails or the task is cancelled, cancels what is left of the job. A
    /// cancelled call fails with `CancellationError`, as on a ``Multiprocessing/ProcessPool``,
    /// whatever its last query threw on the way out, so code on `some JobPool` handles one error.
    func cancellingOnFailure<Output: Codable & Sendable, Result>(
        _ handle: DistributedJob<Output>, _ body: () async throws -> Result
    ) async throws -> Result {
        do {
            return try await body()
        } catch {
            await cancelAfterFailure(handle.id)
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    /// Cancels what is left of job `id` after its call failed or was cancelled.
    func cancelAfterFailure(_ id: Int64) async {
        // Detached: the calling task may be cancelled, and the cancellation must still reach the database.
        await Task.detached { [self] in try? await cancel(jobID: id) }.value
    }
}

/// The handle of a distributed pool's `submit`: cancelling it cancels its task, which cancels
/// the job in the database.
struct RemoteCallHandle<Output: Sendable>: JobHandleBackend {
    let work: Task<Output, any Error>
    let finished: OnceFlag

    /// A reader's cancellation does not reach the work (``Multiprocessing/JobHandle`` reads
    /// it from a task of its own, and a cancelled reader ends only its read); ``cancel()`` does.
    var value: Output {
        get async throws { try await work.value }
    }

    func cancel() {
        work.cancel()
    }

    var isFinished: Bool { finished.isSet }
}
#endif  // Postgres
