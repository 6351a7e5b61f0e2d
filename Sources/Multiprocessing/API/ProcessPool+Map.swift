extension ProcessPool {
    /// Runs `job` on every input and returns the outputs in input order (Python's `Pool.map`).
    ///
    /// The inputs are cut into chunks of `chunkSize` items (by default about four chunks per
    /// worker, as Python does), each sent to a worker in one message.
    ///
    /// - Parameters:
    ///   - job: The job to run; it travels to the workers with its stored properties.
    ///   - inputs: The inputs, one item each.
    ///   - chunkSize: How many items go to a worker in one message (default: about four chunks
    ///     per worker).
    ///   - timeout: How long one item may run before its worker is killed and the item fails
    ///     (default: the pool's ``Options/timeout``).
    ///   - retries: How often an item is run again after a crash or timeout (default: the pool's).
    ///   - progress: Advanced as items finish (see ``ProgressReporter``).
    /// - Throws: The first ``JobFailure`` to arrive (or the coding failure of the first input
    ///   that cannot be encoded); the call's queued work is then dropped. `CancellationError` if
    ///   the calling task is cancelled (running items are killed, or finish under
    ///   ``Options/cancellation`` `.letRunningFinish`).
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
    ///
    /// - Throws: The coding failure of the first input that cannot be encoded;
    ///   `CancellationError` if the calling task is cancelled.
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
        // A task cancelled already gets no work started (and no worker killed for it).
        try Task.checkCancellation()
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
                do {
                    batch.append(try encodeChunk(inputs[start..<end], firstIndex: start, jobType: encodedJob.displayName))
                } catch {
                    // The call's result is this error: what was sent already is not wanted.
                    cancel(callID: callID)
                    throw error
                }
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

    /// Encodes `items` as one chunk of the call's input starting at `firstIndex`.
    /// - Throws: The ``JobFailure`` (``JobFailure/Reason/codingFailed(_:)``) of the first item
    ///   that cannot be encoded, with its index.
    func encodeChunk<Input: Encodable>(
        _ items: ArraySlice<Input>, firstIndex: Int, jobType: String
    ) throws(JobFailure) -> Chunk {
        do {
            return Chunk(firstIndex: firstIndex, count: items.count, inputs: Payload(try BinaryEncoder().encode(Array(items))))
        } catch {
            // Rare: find the item to blame, so that the error names it (and a stream can still
            // run the ones before it).
            for (offset, item) in items.enumerated() {
                do {
                    _ = try BinaryEncoder().encode([item])
                } catch {
                    throw JobFailure(reason: .codingFailed("cannot encode input \(firstIndex + offset): \(error)"),
                                     jobType: jobType, index: firstIndex + offset)
                }
            }
            throw JobFailure(reason: .codingFailed("cannot encode inputs \(firstIndex)..<\(firstIndex + items.count): \(error)"),
                             jobType: jobType, index: firstIndex)
        }
    }
}
