/// When ``JobHandle/wait(_:until:timeout:)`` returns (Python's `return_when`).
public enum WaitCondition: Sendable {
    /// As soon as any handle's work has finished (`FIRST_COMPLETED`).
    case firstCompleted
    /// As soon as any handle's work has failed or been cancelled, or all have finished
    /// (`FIRST_EXCEPTION`).
    case firstFailure
    /// When every handle's work has finished (`ALL_COMPLETED`).
    case allCompleted
}

extension JobHandle {
    /// Python's `concurrent.futures.as_completed`: yields each handle once its work has
    /// finished (succeeded, failed or been cancelled), in the order they finish.
    ///
    /// Read the outcome from the yielded handle (``value`` or ``result``): it is known by then.
    /// Ending the loop early stops only the watching, not the work.
    ///
    /// ```swift
    /// let handles = try (1...10).map { try pool.submit(Square(), $0) }
    /// for await handle in JobHandle.asCompleted(handles) {
    ///     print(try await handle.value)
    /// }
    /// ```
    public static func asCompleted(_ handles: [JobHandle<Output>]) -> AsyncStream<JobHandle<Output>> {
        let (stream, continuation) = AsyncStream.makeStream(of: JobHandle<Output>.self, bufferingPolicy: .unbounded)
        let watcher = Task {
            await withTaskGroup(of: Int.self) { group in
                for (index, handle) in handles.enumerated() {
                    group.addTask {
                        _ = await handle.result
                        return index
                    }
                }
                for await index in group {
                    // A read that ended because the watching was cancelled says nothing of the work.
                    if Task.isCancelled { break }
                    continuation.yield(handles[index])
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in watcher.cancel() }
        return stream
    }

    /// Python's `concurrent.futures.wait`: waits until `condition` holds, or `timeout` passes,
    /// and returns the handles whose work has finished and those whose work has not, each in
    /// the order given.
    ///
    /// Waiting never stops the work; a cancelled waiting task returns what has finished so far.
    public static func wait(_ handles: [JobHandle<Output>], until condition: WaitCondition = .allCompleted,
                            timeout: Duration? = nil) async -> (done: [JobHandle<Output>], pending: [JobHandle<Output>]) {
        guard !handles.isEmpty else { return ([], []) }
        var finished = Set<Int>()
        await withTaskGroup(of: WaitEvent.self) { group in
            for (index, handle) in handles.enumerated() {
                group.addTask {
                    let result = await handle.result
                    // A read that ended because the waiting was cancelled says nothing of the work.
                    guard handle.isFinished else { return .readCancelled }
                    if case .failure = result { return .finished(index, failed: true) }
                    return .finished(index, failed: false)
                }
            }
            if let timeout {
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return .timedOut
                }
            }
            waiting: while let event = await group.next() {
                switch event {
                case .timedOut: break waiting
                case .readCancelled: continue
                case let .finished(index, failed):
                    finished.insert(index)
                    switch condition {
                    case .firstCompleted: break waiting
                    case .firstFailure: if failed || finished.count == handles.count { break waiting }
                    case .allCompleted: if finished.count == handles.count { break waiting }
                    }
                }
            }
            group.cancelAll()
        }
        var done: [JobHandle<Output>] = []
        var pending: [JobHandle<Output>] = []
        for (index, handle) in handles.enumerated() {
            if finished.contains(index) || handle.isFinished { done.append(handle) } else { pending.append(handle) }
        }
        return (done, pending)
    }
}

/// What one child of ``JobHandle/wait(_:until:timeout:)`` saw.
private enum WaitEvent: Sendable {
    case finished(Int, failed: Bool)
    case readCancelled
    case timedOut
}
