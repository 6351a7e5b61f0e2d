extension ProcessQueue {
    // MARK: Putting

    /// Appends `element`, waiting while the queue is full (Python's `put(obj)`).
    /// - Throws: ``IPCError/closed``, ``IPCError/messageTooLarge(bytes:capacity:)``,
    ///   ``IPCError/codingFailed(_:)``, or `CancellationError` while waiting.
    public func put(_ element: Element) async throws {
        _ = try await put(element, deadline: .never)
    }

    /// Appends `element`, waiting at most `timeout` for room (Python's `put(obj, timeout=)`).
    /// - Returns: false if the queue was still full when the time ran out.
    public func put(_ element: Element, timeout: Duration) async throws -> Bool {
        try await put(element, deadline: .after(timeout))
    }

    /// Appends `element` if there is room now (Python's `put_nowait`); false if full.
    public func tryPut(_ element: Element) async throws -> Bool {
        try await put(element, deadline: Deadline(nanoseconds: 0))
    }

    // Inlined into each public entry: every call to a nonisolated async function costs a check
    // of the task's executor (`swift_task_switch`), a measurable share of a put.
    @inline(__always)
    private func put(_ element: Element, deadline: Deadline) async throws -> Bool {
        let bytes = try MessageCoding.encode(element)
        let record = MessageRing.recordSize(bytes.count)
        let layout = layout
        guard record <= layout.ring.capacity else {
            throw IPCError.messageTooLarge(bytes: bytes.count, capacity: layout.ring.capacity)
        }
        var lastLook = false
        while true {
            if !tryAcquire(layout.producerLock) {
                guard try await acquire(layout.producerLock, deadline: deadline) else { return false }
            }
            guard layout.closed.load() == 0 else {
                layout.producerLock.unlock()
                throw IPCError.closed
            }
            let tail = MessageRing.Cursor(layout.tail.load())
            var head = MessageRing.Cursor(layout.headSeenByProducers.load())
            if !layout.fits(record, head: head, tail: tail) {
                head = MessageRing.Cursor(layout.head.loadAcquiring())
                layout.headSeenByProducers.store(head.word)
            }
            if layout.fits(record, head: head, tail: tail) {
                // Counted before it can be taken, so that a consumer's taskDone never runs ahead.
                layout.unfinished.add(1)
                let next = bytes.withUnsafeBytes { layout.ring.write($0, at: tail) }
                layout.tail.storeReleasing(next.word)
                layout.producerLock.unlock()
                layout.notEmpty.notifyIfSleeping()
                return true
            }
            layout.producerLock.unlock()
            if lastLook { return false }
            // Without the lock the look is a hint; the put checks again under the lock.
            let outcome = await layout.notFull.wait(until: {
                layout.closed.load() != 0 || layout.fits(record, head: MessageRing.Cursor(layout.head.loadAcquiring()),
                                                          tail: MessageRing.Cursor(layout.tail.loadAcquiring()))
            }, deadline: deadline, spin: putSpin)
            switch outcome {
            case .woken: continue
            case .cancelled: throw CancellationError()
            case .timedOut: lastLook = true
            }
        }
    }

    // MARK: Getting

    /// Removes and returns the oldest message, waiting while the queue is empty (Python's
    /// `get()`).
    /// - Throws: ``IPCError/closed`` once the queue is closed and empty;
    ///   ``IPCError/codingFailed(_:)``; `CancellationError` while waiting.
    public func get() async throws -> Element {
        try await get(deadline: .never)!
    }

    /// Removes and returns the oldest message, waiting at most `timeout` (Python's
    /// `get(timeout=)`); nil if the queue was still empty when the time ran out.
    public func get(timeout: Duration) async throws -> Element? {
        try await get(deadline: .after(timeout))
    }

    /// Removes and returns the oldest message if there is one now (Python's `get_nowait`);
    /// nil if the queue is empty, including closed and empty.
    public func tryGet() async throws -> Element? {
        do {
            return try await get(deadline: Deadline(nanoseconds: 0))
        } catch IPCError.closed {
            return nil
        }
    }

    @inline(__always)
    private func get(deadline: Deadline) async throws -> Element? {
        let layout = layout
        var lastLook = false
        while true {
            if !tryAcquire(layout.consumerLock) {
                guard try await acquire(layout.consumerLock, deadline: deadline) else { return nil }
            }
            let head = MessageRing.Cursor(layout.head.load())
            var tail = MessageRing.Cursor(layout.tailSeenByConsumers.load())
            if tail.bytes == head.bytes {
                tail = MessageRing.Cursor(layout.tail.loadAcquiring())
                layout.tailSeenByConsumers.store(tail.word)
            }
            if tail.bytes != head.bytes {
                let (bytes, next) = layout.ring.read(at: head)
                layout.head.storeReleasing(next.word)
                layout.consumerLock.unlock()
                layout.notFull.notifyIfSleeping()
                return try MessageCoding.decode(Element.self, from: bytes)
            }
            if layout.closed.load() != 0 {
                // Every put that returned before close() was published before the flag.
                let latest = MessageRing.Cursor(layout.tail.loadAcquiring())
                layout.consumerLock.unlock()
                if latest.bytes == head.bytes { throw IPCError.closed }
                continue
            }
            layout.consumerLock.unlock()
            if lastLook { return nil }
            let outcome = await layout.notEmpty.wait(until: {
                layout.closed.load() != 0
                    || MessageRing.Cursor(layout.tail.loadAcquiring()).bytes != MessageRing.Cursor(layout.head.load()).bytes
            }, deadline: deadline, spin: getSpin)
            switch outcome {
            case .woken: continue
            case .cancelled: throw CancellationError()
            case .timedOut: lastLook = true
            }
        }
    }
}
