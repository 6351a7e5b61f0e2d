import Multiprocessing

/// One producer process and one consumer process move small messages through a ProcessQueue.
enum QueueThroughput: Scenario {
    static let name = "queue-throughput"
    static let summary = "1 producer process puts N small messages (Int, then a 3-field struct) into a ProcessQueue "
        + "(maxCount 10,000), 1 consumer process gets them; both wait on a ProcessEvent, the clock runs from set() to "
        + "the consumer's last get. Python: multiprocessing.Queue(maxsize=10000), ints and (i, float(i), 'x') tuples."

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "msgs/s", higherIsBetter: true, ours: "int_per_s", peer: "int_per_s") {
                .ratio(atLeast: 10, $0, text: ">= 10x Python")
            },
            RowSpec(name: "queue-throughput-struct", unit: "msgs/s", higherIsBetter: true, ours: "struct_per_s",
                    peer: "struct_per_s",
                    note: "a 3-field struct (Int, Double, String) against a Python tuple; the binary coder's encode "
                        + "and decode dominate") {
                .ratio(atLeast: 10, $0, text: ">= 10x Python")
            },
        ]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let ints = quick ? 200_000 : 2_000_000
        let structs = quick ? 100_000 : 1_000_000
        return ["int_per_s": try await throughput(Int.self, count: ints),
                "struct_per_s": try await throughput(QueueBenchRecord.self, count: structs)]
    }

    private static func throughput<M: QueueBenchMessage>(_: M.Type, count: Int) async throws -> Double {
        let queue = try ProcessQueue<M>(maxCount: 10_000)
        let go = try ProcessEvent()
        let consumer = try WorkerProcess(target: QueueBenchConsumer<M>(queue: queue, go: go, count: count))
        let producer = try WorkerProcess(target: QueueBenchProducer<M>(queue: queue, go: go, count: count))
        try await consumer.start()
        try await producer.start()
        try await Task.sleep(for: .milliseconds(300))  // both are waiting on `go`
        let watch = Stopwatch()
        go.set()
        let received = try await consumer.value
        let seconds = watch.seconds
        try await producer.join()
        try check(received == count, "the consumer got \(received) of \(count) messages")
        return Double(count) / seconds
    }
}

protocol QueueBenchMessage: Codable, Sendable {
    static func make(_ index: Int) -> Self
}

extension Int: QueueBenchMessage {
    static func make(_ index: Int) -> Int { index }
}

struct QueueBenchRecord: QueueBenchMessage {
    var id: Int
    var value: Double
    var tag: String
    static func make(_ index: Int) -> QueueBenchRecord { QueueBenchRecord(id: index, value: Double(index), tag: "x") }
}

struct QueueBenchProducer<M: QueueBenchMessage>: ProcessTarget {
    var queue: ProcessQueue<M>
    var go: ProcessEvent
    var count: Int

    func run() async throws {
        try await go.wait()
        for index in 0..<count { try await queue.put(M.make(index)) }
    }
}

struct QueueBenchConsumer<M: QueueBenchMessage>: ProcessTarget {
    var queue: ProcessQueue<M>
    var go: ProcessEvent
    var count: Int

    func run() async throws -> Int {
        try await go.wait()
        var received = 0
        for _ in 0..<count {
            _ = try await queue.get()
            received += 1
        }
        return received
    }
}
