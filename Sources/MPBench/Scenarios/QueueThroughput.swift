#if Tools
import Multiprocessing

/// One producer process and one consumer process move small messages through a ProcessQueue.
enum QueueThroughput: Scenario {
    static let name = "queue-throughput"
    static let summary = "1 producer process puts 1,000,000 small messages (Int, then a 3-field struct) into a "
        + "ProcessQueue (maxCount 10,000), 1 consumer process gets them and checks each (value, order, none repeated "
        + "or missing); both wait on a ProcessEvent, the clock runs from set() to the consumer's last get. Python: "
        + "multiprocessing.Queue(maxsize=10000), the same numbers of ints and (i, float(i), 'x') tuples, checked alike."

    static var countKeys: [String] { ["int_messages", "struct_messages"] }

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "msgs/s", higherIsBetter: true, ours: "int_per_s", peer: "int_per_s",
                    cpu: CPUSpec(work: "int_messages", cpu: "int_cpu_s", unit: "msgs/CPU-s")) {
                .ratio(atLeast: 10, $0, text: ">= 10x Python")
            },
            RowSpec(name: "queue-throughput-struct", unit: "msgs/s", higherIsBetter: true, ours: "struct_per_s",
                    peer: "struct_per_s",
                    note: "a 3-field struct (Int, Double, String) against a Python tuple; the binary coder's encode "
                        + "and decode dominate",
                    cpu: CPUSpec(work: "struct_messages", cpu: "struct_cpu_s", unit: "msgs/CPU-s")) {
                .ratio(atLeast: 10, $0, text: ">= 10x Python")
            },
        ]
    }

    /// How many messages of each kind: the Python peer moves the same numbers
    /// (queue_throughput.py), so that both sides do the same work.
    static func messages(quick: Bool) -> Int { quick ? 50_000 : 1_000_000 }

    static func measure(quick: Bool) async throws -> Metrics {
        let count = messages(quick: quick)
        let ints = try await throughput(Int.self, count: count)
        let structs = try await throughput(QueueBenchRecord.self, count: count)
        var metrics: Metrics = ["int_per_s": ints.perSecond, "struct_per_s": structs.perSecond,
                                "int_messages": Double(count), "struct_messages": Double(count)]
        for (prefix, cpu) in [("int", ints.cpu), ("struct", structs.cpu)] {
            for (key, value) in cpu { metrics[prefix + "_" + key] = value }
        }
        return metrics
    }

    /// Messages per second, and the CPU of the parent, the producer and the consumer (`cpu_s`, ...).
    private static func throughput<M: QueueBenchMessage>(_: M.Type, count: Int) async throws
        -> (perSecond: Double, cpu: Metrics) {
        let queue = try ProcessQueue<M>(maxCount: 10_000)
        let go = try ProcessEvent()
        let consumer = try WorkerProcess(target: QueueBenchConsumer<M>(queue: queue, go: go, count: count))
        let producer = try WorkerProcess(target: QueueBenchProducer<M>(queue: queue, go: go, count: count))
        try await consumer.start()
        try await producer.start()
        try await Task.sleep(for: .milliseconds(300))  // both are waiting on `go`
        let parentCPUBefore = processCPUSeconds()
        let watch = Stopwatch()
        go.set()
        let consumed = try await consumer.value
        let seconds = watch.seconds
        let parentCPU = processCPUSeconds() - parentCPUBefore
        let received = consumed.received
        // Each worker reports its own CPU from `go` to its last message (it is gone, and its
        // clock with it, by the time the parent could read it).
        let producerCPU = try await producer.value
        let cpu: Metrics = ["cpu_parent_s": parentCPU, "cpu_workers_s": producerCPU + consumed.cpuSeconds,
                            "cpu_s": parentCPU + producerCPU + consumed.cpuSeconds]
        // The consumer checked every message it got (value, order, no repeat, none missing);
        // nothing may be left over either (a message delivered twice at the end).
        try check(received == count, "the consumer got \(received) of \(count) messages")
        try check(queue.isEmpty, "\(queue.count) messages left in the queue after the consumer's \(count)")
        return (Double(count) / seconds, cpu)
    }
}

/// A message of the scenario: message `index` of the producer is `make(index)`.
protocol QueueBenchMessage: Codable, Sendable, Equatable {
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

    /// Returns the CPU seconds it spent from `go` to its last put.
    func run() async throws -> Double {
        try await go.wait()
        let before = processCPUSeconds()
        for index in 0..<count { try await queue.put(M.make(index)) }
        return processCPUSeconds() - before
    }
}

struct QueueBenchConsumer<M: QueueBenchMessage>: ProcessTarget {
    var queue: ProcessQueue<M>
    var go: ProcessEvent
    var count: Int

    /// Checks every message: the k-th it gets must be the producer's k-th, whole. A message
    /// lost, repeated, reordered or garbled fails the run.
    func run() async throws -> QueueBenchConsumed {
        try await go.wait()
        let before = processCPUSeconds()
        var received = 0
        for index in 0..<count {
            let message = try await queue.get()
            guard message == M.make(index) else {
                throw BenchError.wrongResult("message \(index) is \(message), not \(M.make(index))")
            }
            received += 1
        }
        return QueueBenchConsumed(received: received, cpuSeconds: processCPUSeconds() - before)
    }
}

/// What the consumer reports: how many messages it checked, and the CPU seconds it spent.
struct QueueBenchConsumed: Codable, Sendable {
    var received: Int
    var cpuSeconds: Double
}
#endif  // Tools
