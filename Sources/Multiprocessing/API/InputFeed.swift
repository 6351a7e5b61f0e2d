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
        do {
            let chunk = try pool.encodeChunk(items[...], firstIndex: total, jobType: jobType, callID: callID)
            total += items.count
            items.removeAll(keepingCapacity: true)
            batch.append(chunk)
            sink.addSubmitted(chunk.count)
        } catch {
            sink.fail(error)
            return false
        }
        if batch.count >= batchLimit || !sink.hasSpace(window: window, maxBytes: ProcessPool.streamBufferedBytesLimit) {
            send(inputFinished: false)
        }
        return await sink.waitForSpace(window: window, maxBytes: ProcessPool.streamBufferedBytesLimit)
    }

    private mutating func send(inputFinished: Bool) {
        guard !batch.isEmpty || inputFinished else { return }
        pool.submit(callID: callID, chunks: batch, inputFinished: inputFinished)
        batch.removeAll(keepingCapacity: true)
    }

    /// The input ended: sends the rest and tells the consumer how many items there were.
    mutating func finish() async {
        if !items.isEmpty {
            guard await cutChunk() else { return }
        }
        send(inputFinished: true)
        sink.inputFinished(total: total)
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
            sink.fail(error)
            pool.cancel(callID: callID)
            return
        }
        await feeder.finish()
    }
}
