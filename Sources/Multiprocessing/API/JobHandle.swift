/// Work submitted to a pool whose result comes later: Python's `AsyncResult` (from
/// `apply_async`) and `concurrent.futures.Future` (from `submit`).
///
/// Awaiting ``value`` gives the output or throws the ``JobFailure``. ``cancel()`` drops the
/// work if it has not started and kills its worker if it has (the pool replaces it).
public struct JobHandle<Output: Sendable>: Sendable {
    let backend: any JobHandleBackend<Output>

    /// A handle over another kind of pool's work (such as a distributed pool's).
    public init(_ backend: some JobHandleBackend<Output>) {
        self.backend = backend
    }

    /// The job's output, once it is done.
    public var value: Output {
        get async throws { try await backend.value }
    }

    /// The outcome, without throwing.
    public var result: Result<Output, any Error> {
        get async {
            do { return .success(try await value) } catch { return .failure(error) }
        }
    }

    /// Stops the work: dropped if queued, its worker killed if running. Awaiting ``value``
    /// then throws `CancellationError`.
    public func cancel() {
        backend.cancel()
    }

    /// Whether the work has finished (succeeded, failed or been cancelled).
    public var isFinished: Bool { backend.isFinished }
}

/// What stands behind a ``JobHandle``: one call in a ``ProcessPool``, or work in another
/// kind of pool that offers the same calls (see ``JobPool``).
public protocol JobHandleBackend<Output>: Sendable {
    associatedtype Output: Sendable
    /// The output once the work is done; cancelling the awaiting task cancels the work.
    var value: Output { get async throws }
    /// Stops the work.
    func cancel()
    /// Whether the work has finished.
    var isFinished: Bool { get }
}

/// One call of a ``ProcessPool`` that yields one output.
struct LocalCallHandle<Output: Sendable>: JobHandleBackend {
    let pool: ProcessPool
    let callID: UInt64
    let sink: ResultSink
    let jobType: String
    let decode: @Sendable (ResultPiece) throws -> Output

    var value: Output {
        get async throws {
            let pieces = try await withTaskCancellationHandler {
                try await sink.waitForAll()
            } onCancel: { [pool, callID] in
                pool.cancel(callID: callID)
            }
            guard let piece = pieces.first else {
                throw JobFailure(reason: .protocolViolation("no result"), jobType: jobType)
            }
            if let failure = piece.failures.first?.failure { throw failure }
            return try decode(piece)
        }
    }

    func cancel() {
        pool.cancel(callID: callID)
    }

    var isFinished: Bool { sink.isFinished }
}

extension ProcessPool {
    /// Runs `job` on one input in a worker and returns its output (Python's `Pool.apply`).
    public func apply<J: Job>(_ job: J, _ input: J.Input, timeout: Duration? = nil, retries: Int? = nil)
        async throws -> J.Output {
        let handle = try submitLocal(job, input, timeout: timeout, retries: retries)
        // A tiny job answers within microseconds: a caller that waits for it awake is not
        // woken (a wake-up between vCPUs costs more than the whole call).
        handle.sink.spinUntilFinished(atMost: 30_000)
        return try await handle.value
    }

    /// Runs a target (a job without input) in a worker and returns its output.
    public func apply<T: ProcessTarget>(_ target: T, timeout: Duration? = nil, retries: Int? = nil)
        async throws -> T.Output {
        try await submit(target, timeout: timeout, retries: retries).value
    }

    /// Starts `job` on one input and returns at once with a handle to await or cancel
    /// (Python's `apply_async` and `Executor.submit`).
    public func submit<J: Job>(_ job: J, _ input: J.Input, timeout: Duration? = nil, retries: Int? = nil)
        throws -> JobHandle<J.Output> {
        JobHandle(try submitLocal(job, input, timeout: timeout, retries: retries))
    }

    private func submitLocal<J: Job>(_ job: J, _ input: J.Input, timeout: Duration?, retries: Int?)
        throws -> LocalCallHandle<J.Output> {
        try ensureOpen()
        let encodedJob = try EncodedJob(job)
        let options = try callOptions(timeout: timeout, retries: retries, typeRetries: J.retries, reportsIndex: false)
        let callID = nextCallID()
        let chunk = try encodeChunk([input][...], firstIndex: 0, jobType: encodedJob.displayName, callID: callID)
        let sink = openCall(id: callID, kind: .chunks, job: encodedJob, options: options, wholeInput: [chunk])
        sink.inputFinished(total: 1)
        let jobType = encodedJob.displayName
        return LocalCallHandle(pool: self, callID: callID, sink: sink, jobType: jobType) { piece in
            let outputs: [J.Output] = try PieceDecoding.successes(piece, jobType: jobType)
            guard let output = outputs.first else {
                throw JobFailure(reason: .codingFailed("no output"), jobType: jobType)
            }
            return output
        }
    }

    /// Starts a target in a worker and returns at once with a handle.
    public func submit<T: ProcessTarget>(_ target: T, timeout: Duration? = nil, retries: Int? = nil)
        throws -> JobHandle<T.Output> {
        try ensureOpen()
        guard TargetOutputCoding.isSupported(T.Output.self) else {
            throw ProcessPoolError.unsupportedOutputType(String(reflecting: T.Output.self))
        }
        let encodedJob = try EncodedJob(target)
        let options = try callOptions(timeout: timeout, retries: retries, typeRetries: T.retries, reportsIndex: false)
        let callID = nextCallID()
        let sink = openCall(id: callID, kind: .target, job: encodedJob, options: options,
                            wholeInput: [Chunk(firstIndex: 0, count: 1, inputs: Payload([]))])
        sink.inputFinished(total: 1)
        let jobType = encodedJob.displayName
        return JobHandle(LocalCallHandle(pool: self, callID: callID, sink: sink, jobType: jobType) { piece in
            do {
                return try TargetOutputCoding.decode(T.Output.self, from: piece.outputs)
            } catch {
                throw JobFailure(reason: .codingFailed("cannot decode \(T.Output.self): \(error)"), jobType: jobType)
            }
        })
    }

    /// Python's `apply_async`: the same as ``submit(_:_:timeout:retries:)``.
    public func applyAsync<J: Job>(_ job: J, _ input: J.Input, timeout: Duration? = nil) throws -> JobHandle<J.Output> {
        try submit(job, input, timeout: timeout)
    }
}
