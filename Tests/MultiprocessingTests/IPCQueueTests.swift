import Foundation
import Testing
@testable import Multiprocessing

@Suite("IPC: queues")
struct IPCQueueTests {
    @Test("2 producer processes and 1 consumer process move 100,000 messages: none lost, duplicated or reordered")
    func pipeline() async throws {
        let shm = sharedMemoryDirectory()
        let queue = try ProcessQueue<Stamp>(maxCount: 1000, byteCapacity: 64 * 1024)
        let perProducer = 50_000
        let consumer = try WorkerProcess(target: ConsumeStamps(queue: queue, total: 2 * perProducer))
        let producers = try (0..<2).map {
            try WorkerProcess(target: ProduceStamps(queue: queue, producer: $0, count: perProducer))
        }
        try await consumer.start()
        for producer in producers { try await producer.start() }
        for producer in producers { #expect(try await producer.join() == .exited(0)) }
        let report = try await consumer.value
        #expect(report == StampReport(received: [0: perProducer, 1: perProducer], outOfOrder: 0, wrongPayload: 0))
        #expect(queue.isEmpty)
        #expect(queue.unfinishedCount == 2 * perProducer)
        #expect(sharedMemoryDirectory() == shm)
    }

    @Test("pool workers, a WorkerProcess and the parent use one queue at once, producing and consuming")
    func manyProcessesAtOnce() async throws {
        let queue = try ProcessQueue<Stamp>(maxCount: 64)
        let consumer = try WorkerProcess(target: CollectUntilClosed(queue: queue))
        let producer = try WorkerProcess(target: ProduceStamps(queue: queue, producer: 100, count: 5_000))
        try await consumer.start()
        try await producer.start()
        async let mine = CollectUntilClosed(queue: queue).run()
        try await withProcessPool(workers: 2) { pool in
            let counts = try await pool.map(ProduceStampsJob(queue: queue, count: 2_000), [0, 1, 2, 3], chunkSize: 1)
            #expect(counts == [2_000, 2_000, 2_000, 2_000])
        }
        #expect(try await producer.join() == .exited(0))
        await queue.close()
        let collected = [try await mine, try await consumer.value]
        #expect(collected.map(\.count).reduce(0, +) == 13_000)
        #expect(collected.allSatisfy { !$0.isEmpty }, "both consumers got messages")
        var seen = Set<[Int]>()
        for stamps in collected {
            var last: [Int: Int] = [:]
            for stamp in stamps {
                #expect(seen.insert([stamp.producer, stamp.sequence]).inserted, "duplicate \(stamp)")
                #expect(stamp.sequence > last[stamp.producer, default: -1], "out of order: \(stamp)")
                last[stamp.producer] = stamp.sequence
            }
        }
        #expect(seen.count == 13_000)
    }

    @Test("a full queue blocks its producer in another process until a message is taken")
    func backpressure() async throws {
        let queue = try ProcessQueue<Int>(maxCount: 4)
        let progress = try SharedArray<Int>(count: 1)
        let producer = try WorkerProcess(target: ProduceCounting(queue: queue, progress: progress, count: 20))
        try await producer.start()
        #expect(await eventually(timeout: .seconds(20)) { progress.atomicLoad(at: 0) == 4 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(progress.atomicLoad(at: 0) == 4)
        #expect(queue.isFull && queue.count == 4)
        #expect(try await queue.get() == 0)
        #expect(await eventually { progress.atomicLoad(at: 0) == 5 })
        var received: [Int] = []
        for _ in 1..<20 { received.append(try await queue.get()) }
        #expect(received == Array(1..<20))
        #expect(try await producer.join() == .exited(0))
    }

    @Test("get with a timeout returns nil on an empty queue, and the message when one comes")
    func getTimeout() async throws {
        let queue = try ProcessQueue<String>()
        let started = ContinuousClock.now
        #expect(try await queue.get(timeout: .milliseconds(150)) == nil)
        #expect(ContinuousClock.now - started >= .milliseconds(140))
        #expect(try await queue.tryGet() == nil)
        let late = Task {
            try await Task.sleep(for: .milliseconds(50))
            try await queue.put("late")
        }
        #expect(try await queue.get(timeout: .seconds(10)) == "late")
        try await late.value

        let full = try ProcessQueue<Int>(maxCount: 1)
        #expect(try await full.tryPut(1))
        #expect(try await !full.tryPut(2))
        #expect(try await !full.put(2, timeout: .milliseconds(50)))
        let waiting = Task { try await full.get() }
        #expect(try await waiting.value == 1)
        let cancelled = Task { try await queue.get() }
        try await Task.sleep(for: .milliseconds(30))
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
    }

    @Test("close: a getter waiting in another process wakes; queued messages still arrive; puts throw")
    func closeSemantics() async throws {
        let queue = try ProcessQueue<Int>()
        let started = try ProcessEvent()
        let drainer = try WorkerProcess(target: DrainUntilClosed(queue: queue, started: started))
        try await drainer.start()
        #expect(try await started.wait(timeout: .seconds(20)))
        for value in 0..<5 { try await queue.put(value) }
        try await Task.sleep(for: .milliseconds(100))
        await queue.close()
        #expect(queue.isClosed)
        #expect(try await drainer.value == Array(0..<5))
        await #expect(throws: IPCError.closed) { try await queue.put(9) }

        // Messages queued before close are delivered, then get throws and iteration ends.
        let other = try ProcessQueue<Int>()
        try await other.put(1)
        try await other.put(2)
        await other.close()
        #expect(try await other.get() == 1)
        var rest: [Int] = []
        for try await value in other { rest.append(value) }
        #expect(rest == [2])
        await #expect(throws: IPCError.closed) { try await other.get() }
        #expect(try await other.tryGet() == nil)

        // A putter waiting for room wakes and throws.
        let full = try ProcessQueue<Int>(maxCount: 1)
        try await full.put(1)
        let putter = Task { try await full.put(2) }
        try await Task.sleep(for: .milliseconds(50))
        await full.close()
        await #expect(throws: IPCError.closed) { try await putter.value }
    }

    @Test("join returns once a consumer in another process marked every message done")
    func joinableQueue() async throws {
        let queue = try ProcessQueue<Int>()
        let done = try SharedArray<Int>(count: 1)
        let consumer = try WorkerProcess(target: WorkAndMarkDone(queue: queue, done: done, count: 20))
        try await consumer.start()
        for value in 0..<20 { try await queue.put(value) }
        try await queue.join()
        #expect(done.atomicLoad(at: 0) == 20)
        #expect(queue.unfinishedCount == 0)
        #expect(throws: IPCError.releasedTooManyTimes) { try queue.taskDone() }
        try await queue.join()
        #expect(try await consumer.join() == .exited(0))
    }

    @Test("messages too large for the ring are refused; large ones that fit go through, wrapping")
    func messageSizes() async throws {
        let queue = try ProcessQueue<[UInt8]>(byteCapacity: 4096)
        await #expect(throws: IPCError.self) { try await queue.put([UInt8](repeating: 1, count: 5000)) }
        for round in 0..<50 {
            let message = [UInt8](repeating: UInt8(round), count: 1000 + round * 37)
            try await queue.put(message)
            #expect(try await queue.get() == message)
        }
    }

    @Test("a process killed while it holds the queue's locks does not wedge the queue")
    func holderOfQueueLocksKilled() async throws {
        let queue = try ProcessQueue<Int>()
        try await queue.put(1)
        let locked = try ProcessEvent()
        let holder = try WorkerProcess(target: HoldQueueLocksUntilKilled(queue: queue, locked: locked))
        try await holder.start()
        #expect(try await locked.wait(timeout: .seconds(20)))
        #expect(try await !queue.put(2, timeout: .milliseconds(100)))
        holder.kill()
        let killedAt = ContinuousClock.now
        try await queue.put(2)
        #expect(try await queue.get() == 1)
        #expect(try await queue.get() == 2)
        #expect(ContinuousClock.now - killedAt < .seconds(2))
        _ = try await holder.join()
    }

    @Test("a queue sent through a pipe to another process attaches there")
    func handleInsideAMessage() async throws {
        let queue = try ProcessQueue<Int>()
        let (mine, theirs) = try ProcessPipe.duplex(sending: ProcessQueue<Int>.self, receiving: String.self)
        let worker = try WorkerProcess(target: ReceiveQueueAndPut(connection: theirs))
        try await worker.start()
        try await mine.send(queue)
        #expect(try await mine.receive() == "put")
        #expect(try await queue.get() == 99)
        #expect(try await worker.join() == .exited(0))
    }
}
