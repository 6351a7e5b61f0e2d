/// Reads a stream's input, cuts it into chunks, encodes them and submits them, waiting while
/// the consumer is behind.
protocol InputFeed: Sendable {
    associatedtype Element: Encodable & Sendable
    func feed(pool: ProcessPool, callID: UInt64, sink: ResultSink, chunkSize: Int, jobType: String) async
}

/// Cuts items into encoded chunks and sends them in batches.
struct ChunkFeeder<Element: Encodable> {
    let pool: ProcessPool
    let callID: UInt64
    let sink: ResultSink
    let chunkSize: Int
    let jobType: String
    let window: Int
    /// Chunks collected before they are sent together (1: send each at once).
    let batchLimit: Int
    private var items: [Element] = []
    private var batch: [Chunk] = []
    private(set) var total = 0

    init(pool: ProcessPool, callID: UInt64, sink: ResultSink, chunkSize: Int, jobType: String, batchLimit: Int) {
        self.pool = pool
        self.callID = callID
        self.sink = sink
        self.chunkSize = chunkSize
        self.jobType = jobType
        self.batchLimit = batchLimit
        window = pool.streamWindow(chunkSize: chunkSize)
        items.reserveCapacity(chunkSize)
    }

    /// Adds an item; false when the call ended and reading should stop.
    mutating func add(_ item: Element) async -> Bool {
        items.append(item)
        guard items.count == chunkSize else { return true }
        return await cutChunk()
    }

    private mutating func cutChunk() async -> Bool {
        let chunk: Chunk
        do {
            chunk = try pool.encodeChunk(items[...], firstIndex: total, jobType: jobType)
        } catch {
            // The items before the one that cannot be encoded still run and are delivered; then
            // the stream ends with its coding failure.
            let good = (error.index ?? total) - total
            if good > 0, let prefix = try? pool.encodeChunk(items[..<good], firstIndex: total, jobType: jobType) {
                accept(prefix)
            }
            items.removeAll()
            endInput(throwing: error)
            return false
        }
        accept(chunk)
        if batch.count >= batchLimit || !sink.hasSpace(window: window, maxBytes: ProcessPool.streamBufferedBytesLimit) {
            send(inputFinished: false)
        }
        return await sink.waitForSpace(window: window, maxBytes: ProcessPool.streamBufferedBytesLimit)
    }

    private mutating func accept(_ chunk: Chunk) {
        total += chunk.count
        if chunk.count >= items.count {
            items.removeAll(keepingCapacity: true)
        } else {
            items.removeFirst(chunk.count)
        }
        batch.append(chunk)
        sink.addSubmitted(chunk.count)
    }

    private mutating func send(inputFinished: Bool) {
        guard !batch.isEmpty || inputFinished else { return }
        pool.submit(callID: callID, chunks: batch, inputFinished: inputFinished)
        batch.removeAll(keepingCapacity: true)
    }

    /// Sends what was cut and tells the consumer how many items there were and, if the input
    /// failed, its error (which it gets after their results).
    private mutating func endInput(throwing error: (any Error)?) {
        send(inputFinished: true)
        if let error {
            sink.inputFailed(error, total: total)
        } else {
            sink.inputFinished(total: total)
        }
    }

    /// The input ended, or failed with `error` (Python's `imap` does the same: the results of
    /// the items read before come first): sends the rest and tells the consumer.
    mutating func finish(throwing error: (any Error)? = nil) async {
        if !items.isEmpty {
            guard await cutChunk() else { return }
        }
        endInput(throwing: error)
    }
}

struct SequenceFeed<Base: Sequence & Sendable>: InputFeed where Base.Element: Encodable & Sendable {
    typealias Element = Base.Element
    let base: Base

    init(_ base: Base) {
        self.base = base
    }

    func feed(pool: ProcessPool, callID: UInt64, sink: ResultSink, chunkSize: Int, jobType: String) async {
        var feeder = ChunkFeeder<Base.Element>(pool: pool, callID: callID, sink: sink, chunkSize: chunkSize,
                                               jobType: jobType, batchLimit: 64)
        for item in base {
            if Task.isCancelled { return }
            guard await feeder.add(item) else { return }
        }
        await feeder.finish()
    }
}

struct AsyncFeed<Base: AsyncSequence & Sendable>: InputFeed where Base.Element: Encodable & Sendable {
    typealias Element = Base.Element
    let base: Base

    init(_ base: Base) {
        self.base = base
    }

    func feed(pool: ProcessPool, callID: UInt64, sink: ResultSink, chunkSize: Int, jobType: String) async {
        var feeder = ChunkFeeder<Base.Element>(pool: pool, callID: callID, sink: sink, chunkSize: chunkSize,
                                               jobType: jobType, batchLimit: 1)
        do {
            for try await item in base {
                if Task.isCancelled { return }
                guard await feeder.add(item) else { return }
            }
        } catch {
            await feeder.finish(throwing: error)
            return
        }
        await feeder.finish()
    }
}
