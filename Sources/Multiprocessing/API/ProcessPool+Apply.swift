/// One call of a ``ProcessPool`` that yields one output. Its sink keeps the call's pieces, so
/// `value` may be read again; cancelling the task that reads it cancels the call (``JobHandle``
/// reads it from a task that is never cancelled; `apply` reads it directly).
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
    ///
    /// - Throws: The item's ``JobFailure``; `CancellationError` if the calling task is cancelled
    ///   (the work is cancelled with it: dropped if queued, its worker killed if running).
    public func apply<J: Job>(_ job: J, _ input: J.Input, timeout: Duration? = nil, retries: Int? = nil)
        async throws -> J.Output {
        // A task cancelled already gets no work started (and no worker killed for it).
        try Task.checkCancellation()
        // The caller suspends until the reactor resumes it with the result: it holds no
        // cooperative thread meanwhile (waiting awake would win a few microseconds per call by
        // burning one).
        return try await submitLocal(job, input, timeout: timeout, retries: retries).value
    }

    /// Runs a target (a job without input) in a worker and returns its output.
    ///
    /// - Throws: Its ``JobFailure``; `CancellationError` if the calling task is cancelled.
    public func apply<T: ProcessTarget>(_ target: T, timeout: Duration? = nil, retries: Int? = nil)
        async throws -> T.Output {
        try Task.checkCancellation()
        // The call's own backend, not a handle: cancelling this task cancels the work.
        return try await submitTargetLocal(target, timeout: timeout, retries: retries).value
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
        let chunk = try encodeChunk([input][...], firstIndex: 0, jobType: encodedJob.displayName)
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
        JobHandle(try submitTargetLocal(target, timeout: timeout, retries: retries))
    }

    private func submitTargetLocal<T: ProcessTarget>(_ target: T, timeout: Duration?, retries: Int?)
        throws -> LocalCallHandle<T.Output> {
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
        return LocalCallHandle(pool: self, callID: callID, sink: sink, jobType: jobType) { piece in
            do {
                return try TargetOutputCoding.decode(T.Output.self, from: piece.outputs)
            } catch {
                throw JobFailure(reason: .codingFailed("cannot decode \(T.Output.self): \(error)"), jobType: jobType)
            }
        }
    }

    /// Python's `apply_async`: the same as ``submit(_:_:timeout:retries:)``.
    public func applyAsync<J: Job>(_ job: J, _ input: J.Input, timeout: Duration? = nil) throws -> JobHandle<J.Output> {
        try submit(job, input, timeout: timeout)
    }
}
