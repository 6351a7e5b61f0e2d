extension ProcessQueue {
    /// Marks one task done (Python's `task_done()`): call it once for each message a consumer
    /// finished with.
    /// - Throws: ``IPCError/releasedTooManyTimes`` when called more times than messages were put.
    public func taskDone() throws {
        let unfinished = layout.unfinished
        var current = unfinished.load()
        while true {
            guard current > 0 else { throw IPCError.releasedTooManyTimes }
            let (exchanged, seen) = unfinished.compareExchange(expected: current, desired: current - 1)
            if exchanged { break }
            current = seen
        }
        if current == 1 { layout.allDone.notifyAll() }
    }

    /// Waits until every message put has been marked done with ``taskDone()`` (Python's
    /// `join()`).
    /// - Throws: `CancellationError` if the task is cancelled while it waits.
    public func join() async throws {
        while true {
            let sequence = layout.allDone.prepare()
            if layout.unfinished.load() == 0 { return }
            if await layout.allDone.wait(expected: sequence, deadline: .never, spin: Spin.lockNanos) == .cancelled {
                throw CancellationError()
            }
        }
    }

    /// The number of messages put and not yet marked done (a snapshot).
    public var unfinishedCount: Int { Int(layout.unfinished.load()) }
}

extension ProcessQueue: AsyncSequence {
    /// Gets messages until the queue is closed and empty.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: ProcessQueue

        public mutating func next() async throws -> Element? {
            do {
                return try await queue.get()
            } catch IPCError.closed {
                return nil
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(queue: self)
    }
}
