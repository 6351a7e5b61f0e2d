extension ProcessPool {
    /// Runs `job` on every input and returns the outputs in input order (Python's `Pool.map`).
    ///
    /// The inputs are cut into chunks of `chunkSize` items (by default about four chunks per
    /// worker, as Python does), each sent to a worker in one message.
    ///
    /// - Parameters:
    ///   - timeout: How long one item may run before its worker is killed and the item fails
    ///     (default: the pool's ``Options/timeout``).
    ///   - retries: How often an item is run again after a crash or timeout (default: the pool's).
    ///   - progress: Advanced as items finish (see ``ProgressReporter``).
    /// - Throws: The first ``JobFailure`` to arrive; the call's queued work is then dropped.
    ///   `CancellationError` if the calling task is cancelled (running items are killed).
    public func map<J: Job>(
        _ job: J, _ inputs: some Sequence<J.Input>, chunkSize: Int? = nil,
        timeout: Duration? = nil, retries: Int? = nil, progress: ProgressReporter? = nil
    ) async throws -> [J.Output] {
        let (pieces, jobType) = try await runAll(job, Array(inputs), chunkSize: chunkSize, timeout: timeout,
                                                 retries: retries, progress: progress, failFast: true)
        var outputs: [J.Output] = []
        for piece in pieces.sorted(by: { $0.firstIndex < $1.firstIndex }) {
            let decoded: [J.Output] = try PieceDecoding.successes(piece, jobType: jobType)
            if outputs.isEmpty { outputs = decoded } else { outputs.append(contentsOf: decoded) }
        }
        return outputs
    }

    /// Like ``map(_:_:chunkSize:timeout:retries:progress:)``, but every item gets its own result: a
    /// failed item does not stop the others.
    public func mapResults<J: Job>(
        _ job: J, _ inputs: some Sequence<J.Input>, chunkSize: Int? = nil,
        timeout: Duration? = nil, retries: Int? = nil, progress: ProgressReporter? = nil
    ) async throws -> [Result<J.Output, JobFailure>] {
        let (pieces, jobType) = try await runAll(job, Array(inputs), chunkSize: chunkSize, timeout: timeout,
                                                 retries: retries, progress: progress, failFast: false)
        var results: [Result<J.Output, JobFailure>] = []
        for piece in pieces.sorted(by: { $0.firstIndex < $1.firstIndex }) {
            results.append(contentsOf: PieceDecoding.results(piece, jobType: jobType) as [Result<J.Output, JobFailure>])
        }
        return results
    }

    /// Python's `Pool.starmap`: the same as ``map(_:_:chunkSize:timeout:retries:progress:)``, since a
    /// job's `Input` can be a struct or tuple-like value of several arguments.
    public func starmap<J: Job>(
        _ job: J, _ inputs: some Sequence<J.Input>, chunkSize: Int? = nil
    ) async throws -> [J.Output] {
        try await map(job, inputs, chunkSize: chunkSize)
    }

    /// Python's `len(iterable) / (4 * workers)`, rounded up.
    func defaultChunkSize(items: Int) -> Int {
        let divisor = 4 * workerCount
        return max(1, (items + divisor - 1) / divisor)
    }

    private func runAll<J: Job>(
        _ job: J, _ inputs: [J.Input], chunkSize: Int?, timeout: Duration?, retries: Int?,
        progress: ProgressReporter?, failFast: Bool
    ) async throws -> (pieces: [ResultPiece], jobType: String) {
        try ensureOpen()
        if let chunkSize, chunkSize < 1 {
            throw ProcessPoolError.invalidArgument("chunk size must be at least 1, not \(chunkSize)")
        }
        let encodedJob = try EncodedJob(job)
        let options = try callOptions(timeout: timeout, retries: retries, typeRetries: J.retries, reportsIndex: true)
        let callID = nextCallID()
        let sink = openCall(id: callID, kind: .chunks, job: encodedJob, options: options, progress: progress)
        let size = chunkSize ?? defaultChunkSize(items: inputs.count)
        return try await withTaskCancellationHandler {
            var start = 0
            var batch: [Chunk] = []
            while start < inputs.count {
                let end = min(start + size, inputs.count)
                batch.append(try encodeChunk(inputs[start..<end], firstIndex: start, jobType: encodedJob.displayName,
                                             callID: callID))
                start = end
                // Send early chunks at once so workers start while the rest are encoded.
                if batch.count >= max(1, workerCount) || start == inputs.count {
                    submit(callID: callID, chunks: batch, inputFinished: start == inputs.count)
                    batch.removeAll()
                }
            }
            if inputs.isEmpty { submit(callID: callID, chunks: [], inputFinished: true) }
            sink.inputFinished(total: inputs.count)
            do {
                let pieces = failFast ? try await sink.waitForAllOrFirstFailure() : try await sink.waitForAll()
                return (pieces, encodedJob.displayName)
            } catch let failure as JobFailure {
                // Fail fast: what is queued is not wanted any more; running items finish.
                cancel(callID: callID, graceful: true)
                throw failure
            }
        } onCancel: {
            self.cancel(callID: callID)
        }
    }

    func encodeChunk<Input: Encodable>(
        _ items: ArraySlice<Input>, firstIndex: Int, jobType: String, callID: UInt64
    ) throws -> Chunk {
        do {
            return Chunk(firstIndex: firstIndex, count: items.count, inputs: Payload(try BinaryEncoder().encode(Array(items))))
        } catch {
            cancel(callID: callID)
            throw JobFailure(reason: .codingFailed("cannot encode inputs \(firstIndex)..<\(firstIndex + items.count): \(error)"),
                             jobType: jobType, index: firstIndex)
        }
    }
}
