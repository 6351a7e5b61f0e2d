/// Makes pipes: pairs of connected ``PipeEnd``s (Python's `multiprocessing.Pipe()`).
///
/// ```swift
/// let (parent, child) = try ProcessPipe.duplex(Int.self)           // Pipe()
/// let (requests, replies) = try ProcessPipe.duplex(sending: Request.self, receiving: Reply.self)
/// let (receiver, sender) = try ProcessPipe.oneWay(String.self)      // Pipe(duplex=False)
/// ```
///
/// Each direction is a ring of `byteCapacity` bytes in shared memory (memory is allocated as
/// it is first used); a message of any size goes through, in pieces when it is larger.
public enum ProcessPipe {
    /// The default size of each direction's ring: 64 KiB, as a Linux pipe.
    public static let defaultByteCapacity = 1 << 16

    /// A two-way pipe carrying `Message`s both ways.
    public static func duplex<Message>(
        _ message: Message.Type = Message.self,
        byteCapacity: Int = defaultByteCapacity
    ) throws -> (PipeEnd<Message, Message>, PipeEnd<Message, Message>) {
        try duplex(sending: Message.self, receiving: Message.self, byteCapacity: byteCapacity)
    }

    /// A two-way pipe whose first end sends `Sent` and receives `Received`, and whose second
    /// end does the opposite (a request/reply channel).
    public static func duplex<Sent, Received>(
        sending: Sent.Type,
        receiving: Received.Type,
        byteCapacity: Int = defaultByteCapacity
    ) throws -> (PipeEnd<Sent, Received>, PipeEnd<Received, Sent>) {
        let region = try PipeEndCore.createRegion(capacities: (try checked(byteCapacity), try checked(byteCapacity)))
        return (PipeEnd(core: PipeEndRegistry.core(for: region, side: 0)),
                PipeEnd(core: PipeEndRegistry.core(for: region, side: 1)))
    }

    /// A one-way pipe: the first end only receives, the second only sends (Python's
    /// `Pipe(duplex=False)`, which also returns the receiving end first).
    public static func oneWay<Message>(
        _ message: Message.Type = Message.self,
        byteCapacity: Int = defaultByteCapacity
    ) throws -> (receiver: PipeReceiver<Message>, sender: PipeSender<Message>) {
        let region = try PipeEndCore.createRegion(capacities: (try checked(byteCapacity), 0))
        return (PipeEnd(core: PipeEndRegistry.core(for: region, side: 1)),
                PipeEnd(core: PipeEndRegistry.core(for: region, side: 0)))
    }

    private static func checked(_ byteCapacity: Int) throws -> Int {
        guard byteCapacity >= 64, byteCapacity <= 1 << 40 else {
            throw IPCError.invalidArgument("a pipe's byteCapacity must be in 64...2^40, not \(byteCapacity)")
        }
        return byteCapacity
    }
}
