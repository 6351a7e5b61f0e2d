/// A first-in first-out queue of typed messages shared by any number of processes: Python's
/// `multiprocessing.Queue`, `JoinableQueue` and `SimpleQueue` in one type.
///
/// ```swift
/// let queue = try ProcessQueue<Int>(maxCount: 100)
/// // Producers (in workers, the queue a stored property of the job):
/// try await queue.put(42)                // waits while the queue is full
/// // Consumers:
/// for try await value in queue { ... }   // ends once the queue is closed and empty
/// ```
///
/// Messages live in a ring in shared memory (``byteCapacity`` bytes, by default 1 MiB, of which
/// pages are allocated as they are first used), encoded with the package's binary coder.
/// Producers take one lock and consumers another (both survive a dead holder), so a producer
/// and a consumer never wait for each other. Every waiting call suspends the task, never
/// blocking a thread of Swift's cooperative pool, and ends with `CancellationError` when the
/// task is cancelled. Any number of tasks and processes may put and get at once; messages come
/// out in the order they went in.
///
/// **Bounds.** ``put(_:)`` waits while the queue holds ``maxCount`` messages or its ring has no
/// room for the message (backpressure). A message larger than the ring can never fit: `put`
/// throws ``IPCError/messageTooLarge(bytes:capacity:)``.
///
/// **Closing.** ``close()``, called by any process, closes the queue for every process, for
/// good: every `put` that returned before it is delivered; later ones throw
/// ``IPCError/closed`` (putters waiting for room wake and throw too),
/// while getters still receive the messages already queued; once it is empty, `get` throws
/// ``IPCError/closed`` (getters waiting wake and throw), `tryGet` returns nil, and `for try
/// await` loops end. (This is the meaning of Python 3.13's `Queue.shutdown()`; Python's
/// `multiprocessing.Queue.close()` only says that the calling process will put no more.)
///
/// **Joining.** Each `put` adds an unfinished task; ``taskDone()`` marks one done, and ``join()``
/// waits until none remain (Python's `JoinableQueue`).
///
/// **Sharing.** The queue is `Codable`: store it in a ``Job`` or ``ProcessTarget``, or send it
/// in a message; decoding it in another process attaches to the same queue. The process that
/// encoded it (or the one that created it) must still hold it when the other process decodes
/// it. A process killed in the middle of a `put` loses only its own message; one killed in the
/// middle of a `get` leaves the message in the queue for another consumer. Either way the queue
/// stays usable: a record and its cursor are published with one store.
public final class ProcessQueue<Element: Codable & Sendable>: Codable, Sendable {
    let region: SharedRegion
    let layout: QueueLayout
    /// How long this process's putters and getters spin before they sleep.
    let putSpin = AdaptiveSpin()
    let getSpin = AdaptiveSpin()

    /// The most messages the queue holds (Python's `maxsize`); nil when only ``byteCapacity``
    /// (and the limit of 8,388,607 messages) bounds it.
    public var maxCount: Int? {
        let limit = layout.countLimit
        return limit == MessageRing.maxMessages ? nil : limit
    }

    /// The size of the ring, in bytes: the queued messages' encodings, plus 8 to 15 bytes each,
    /// fit in it.
    public var byteCapacity: Int { layout.ring.capacity }

    /// A new, empty queue.
    /// - Parameters:
    ///   - maxCount: the most messages it holds (Python's `maxsize`); nil for no limit but the
    ///     ring's size. At most 8,388,606.
    ///   - byteCapacity: the ring's size in bytes, rounded up to a power of two (at least 64,
    ///     at most 2^39).
    public init(maxCount: Int? = nil, byteCapacity: Int = 1 << 20) throws {
        if let maxCount, maxCount < 1 || maxCount >= MessageRing.maxMessages {
            throw IPCError.invalidArgument("a queue's maxCount must be in 1..<\(MessageRing.maxMessages), not \(maxCount)")
        }
        guard byteCapacity >= 1, byteCapacity <= MessageRing.maxCapacity else {
            throw IPCError.invalidArgument("a queue's byteCapacity must be in 1...2^39, not \(byteCapacity)")
        }
        var capacity = 64
        while capacity < byteCapacity { capacity <<= 1 }
        region = try SharedRegion.create(kind: .queue, payloadSize: QueueLayout.ringOffset + capacity)
        QueueLayout.initialize(region, capacity: capacity, countLimit: maxCount ?? MessageRing.maxMessages)
        layout = QueueLayout(region)
    }

    /// Attaches to the queue a handle names.
    /// - Throws: ``IPCError/cannotAttach(_:)`` when no process holds it any more.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        region = try container.decodeRegion(forKey: .region, as: .queue)
        layout = QueueLayout(region)
    }

    /// Encodes a handle: decoding it in another process attaches to this object there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeRegion(region, forKey: .region)
    }

    private enum CodingKeys: String, CodingKey {
        case region
    }

    // MARK: State

    /// How many messages are queued now (Python's `qsize()`; a snapshot).
    public var count: Int { layout.count }
    /// Whether no message is queued now (a snapshot).
    public var isEmpty: Bool { layout.count == 0 }
    /// Whether the queue holds ``maxCount`` messages now (a snapshot).
    public var isFull: Bool { layout.count >= layout.countLimit }
    /// Whether ``close()`` was called.
    public var isClosed: Bool { layout.closed.load() != 0 }

    /// Closes the queue for every process (see the type's discussion): puts that returned
    /// before are delivered, later puts throw, gets drain what is queued and then throw
    /// ``IPCError/closed``. Waiting callers wake.
    ///
    /// It takes the producers' lock for a moment (so it is `async`): that is what orders it
    /// after the puts that returned before it.
    public func close() async {
        if case .acquired(.ownerDied) = await layout.producerLock.lock(cancellable: false) {
            layout.producerLock.markConsistent()
        }
        layout.closed.store(1)
        layout.producerLock.unlock()
        layout.notEmpty.notifyIfSleeping()
        layout.notFull.notifyIfSleeping()
    }

    /// Takes one of the queue's locks if it is free, without an async call.
    @inline(__always)
    func tryAcquire(_ lock: LockWord) -> Bool {
        switch lock.tryLock() {
        case .clean?: return true
        case .ownerDied?:
            lock.markConsistent()
            return true
        case nil: return false
        }
    }

    /// Takes one of the queue's locks, waiting until `deadline`; false if it passed first. A
    /// holder that died needs no repair: the ring's cursors are published whole or not at all.
    func acquire(_ lock: LockWord, deadline: Deadline) async throws -> Bool {
        switch await lock.lock(deadline: deadline) {
        case .acquired(.clean): return true
        case .acquired(.ownerDied):
            lock.markConsistent()
            return true
        case .timedOut: return false
        case .cancelled: throw CancellationError()
        }
    }
}
