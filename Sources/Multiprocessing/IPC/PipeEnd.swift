/// One end of a pipe between two processes (Python's `Connection`): it sends `Outgoing`
/// messages and receives `Incoming` ones. Make a pair with ``ProcessPipe``.
///
/// ```swift
/// let (parent, child) = try ProcessPipe.duplex(String.self)
/// let process = try WorkerProcess(target: Greeter(connection: child))
/// try await process.start()
/// try await parent.send("hello")
/// for try await reply in parent { print(reply) }   // ends when the child's end closes or its process exits
/// ```
///
/// Messages are `Codable` values, encoded with the package's binary coder, that travel through
/// a ring in shared memory (no system call on the way when both sides are busy). Messages
/// larger than the ring go through in pieces. ``send(_:)`` waits while the ring is full;
/// ``receive()`` waits for a message. Waiting suspends the task, never blocking a thread of
/// Swift's cooperative pool, and cancelling the task ends it.
///
/// **End of the stream.** When the other end is closed (``close()``), or its process exits or
/// crashes, ``receive()`` returns the messages already sent, then throws
/// ``IPCError/peerClosed`` (Python's `EOFError`), and `for try await` loops end; `send` throws
/// ``IPCError/peerClosed``. A dead process is noticed within about 50 ms.
///
/// **Ownership.** An end is used by one process at a time, its owner. The process that makes
/// the pipe owns both ends; encoding an end in a job or message and decoding it in another
/// process hands the end over, if the encoding process owned it. So the usual pattern needs no
/// care: keep one end, put the other in a worker's job. (In Python the parent must close its
/// copy of the child's end, or it never sees end-of-file; here it does not hold one.) Using an
/// end owned by another process throws ``IPCError/endOwnedByAnotherProcess(pid:)``: a job
/// holding an end, run by several pool workers, works only in the first worker that decoded
/// it. Releasing the last value of an end that this process used or received closes it (an end
/// its creator never used nor handed over stays open until ``close()``).
///
/// Several tasks of the owning process may send and receive at once: messages do not
/// interleave.
public struct PipeEnd<Outgoing: Codable & Sendable, Incoming: Codable & Sendable>: Codable, Sendable {
    let core: PipeEndCore

    init(core: PipeEndCore) {
        self.core = core
    }

    /// Attaches to the end a handle names, and takes it over from the process that encoded it
    /// if that process owned it.
    /// - Throws: ``IPCError/cannotAttach(_:)`` when no process holds the pipe any more.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let region = try container.decodeRegion(forKey: .region, as: .pipe)
        let side = try container.decode(Int.self, forKey: .side)
        guard side == 0 || side == 1 else { throw IPCError.cannotAttach("pipe end \(side)") }
        core = PipeEndRegistry.core(for: region, side: side)
        core.adopt(from: try container.decode(UInt64.self, forKey: .sender))
    }

    /// Encodes a handle: decoding it in another process attaches to this object there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeRegion(core.region, forKey: .region)
        try container.encode(core.side, forKey: .side)
        try container.encode(ProcessIdentity.token, forKey: .sender)
    }

    private enum CodingKeys: String, CodingKey {
        case region, side, sender
    }

    /// Sends `message` (Python's `send`), waiting while the pipe is full.
    /// - Throws: ``IPCError/peerClosed`` if the other end is gone; ``IPCError/closed`` if this
    ///   end was closed; ``IPCError/endOwnedByAnotherProcess(pid:)``; ``IPCError/codingFailed(_:)``;
    ///   `CancellationError` (if the message had begun to go out, the end closes: the rest
    ///   cannot follow).
    public func send(_ message: Outgoing) async throws {
        try await core.send(MessageCoding.encode(message))
    }

    /// Receives the next message (Python's `recv`), waiting for it.
    /// - Throws: ``IPCError/peerClosed`` once the other end is gone and every message it sent
    ///   was received; ``IPCError/closed``; ``IPCError/endOwnedByAnotherProcess(pid:)``;
    ///   ``IPCError/codingFailed(_:)``; `CancellationError`.
    public func receive() async throws -> Incoming {
        guard let bytes = try await core.receive(deadline: .never) else { throw CancellationError() }
        return try MessageCoding.decode(Incoming.self, from: bytes)
    }

    /// Receives the next message, waiting at most `timeout`; nil if none arrived in time.
    public func receive(timeout: Duration) async throws -> Incoming? {
        guard let bytes = try await core.receive(deadline: .after(timeout)) else { return nil }
        return try MessageCoding.decode(Incoming.self, from: bytes)
    }

    /// Whether ``receive()`` would return or throw without waiting (Python's `poll()`): a
    /// message is arriving, or the other end is gone.
    public func poll() -> Bool {
        core.poll()
    }

    /// Waits at most `timeout` until ``poll()`` is true (Python's `poll(timeout)`).
    public func poll(timeout: Duration) async throws -> Bool {
        try await core.poll(deadline: .after(timeout))
    }

    /// Closes this end, for good (Python's `close()`): the other end receives what was sent,
    /// then ``IPCError/peerClosed``. Only the owning process closes an end; elsewhere this does
    /// nothing.
    public func close() {
        core.close()
    }

    /// Whether this end was closed.
    public var isClosed: Bool { core.isClosed }

    /// The process that owns this end now.
    public var ownerPID: Int32 { ProcessIdentity.pid(of: core.ownerToken) }
}

extension PipeEnd: AsyncSequence {
    public typealias Element = Incoming

    /// Receives messages until the other end is closed, or its process exits or crashes.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let end: PipeEnd

        public mutating func next() async throws -> Incoming? {
            do {
                return try await end.receive()
            } catch IPCError.peerClosed {
                return nil
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(end: self)
    }
}

/// The sending end of a one-way pipe.
public typealias PipeSender<Message: Codable & Sendable> = PipeEnd<Message, Never>
/// The receiving end of a one-way pipe.
public typealias PipeReceiver<Message: Codable & Sendable> = PipeEnd<Never, Message>
