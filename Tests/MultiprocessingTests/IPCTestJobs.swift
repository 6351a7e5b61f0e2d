import Foundation
@testable import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

// Jobs and targets the IPC tests run in worker processes: at file scope, so that workers find
// them by name. Each carries its IPC objects as stored properties: decoding the job in the
// worker attaches to them.

// MARK: Locks and counters

/// Adds 1 to `counter[0]` `iterations` times, under `lock`.
struct LockedIncrements: ProcessTarget {
    var lock: ProcessLock
    var counter: SharedArray<Int>
    var iterations: Int

    func run() async throws {
        for _ in 0..<iterations {
            try await lock.withLock { counter[0] += 1 }
        }
    }
}

/// Adds 1 to `counter[0]` `iterations` times with an atomic add and no lock.
struct AtomicIncrements: ProcessTarget {
    var counter: SharedArray<Int>
    var iterations: Int

    func run() async throws {
        for _ in 0..<iterations {
            counter.atomicWrappingAdd(1, at: 0)
        }
    }
}

/// Takes the lock, says so, and holds it until killed.
struct HoldLockUntilKilled: ProcessTarget {
    var lock: ProcessLock
    var locked: ProcessEvent
    /// Written (non-atomically, as a real critical section would) while holding the lock.
    var state: SharedArray<Int>

    func run() async throws {
        try await lock.lock()
        state[0] = -1  // half-updated: the parent must repair it
        locked.set()
        try await Task.sleep(for: .seconds(60))
    }
}

/// Takes a recursive lock twice and lets it go one level at a time, on the parent's signals.
struct RecursiveHolder: ProcessTarget {
    var lock: ProcessRecursiveLock
    var held: ProcessEvent
    var releaseOnce: ProcessEvent
    var releasedOnce: ProcessEvent
    var releaseAll: ProcessEvent

    func run() async throws {
        try await lock.lock()
        try await lock.withLock {
            held.set()
            try await releaseOnce.wait()
        }
        releasedOnce.set()
        try await releaseAll.wait()
        lock.unlock()
    }
}

// MARK: Semaphore, event, condition, barrier

/// Enters the section the semaphore guards, and records how many processes are inside.
struct BoundedSection: Job {
    var semaphore: ProcessSemaphore
    /// [inside now, most inside at once]
    var gauge: SharedArray<Int>

    func run(_ item: Int) async throws -> Int32 {
        try await semaphore.withPermit {
            let inside = gauge.atomicWrappingAdd(1, at: 0).newValue
            var most = gauge.atomicLoad(at: 1)
            while inside > most {
                let (exchanged, seen) = gauge.atomicCompareExchange(expected: most, desired: inside, at: 1)
                if exchanged { break }
                most = seen
            }
            try await Task.sleep(for: .milliseconds(40))
            gauge.atomicWrappingSubtract(1, at: 0)
        }
        return getpid()
    }
}

/// Waits for the event, then counts itself in.
struct AwaitEvent: ProcessTarget {
    var event: ProcessEvent
    var woke: SharedArray<Int>

    func run() async throws {
        try await event.wait()
        woke.atomicWrappingAdd(1, at: 0)
    }
}

/// Waits on the condition (with the lock), counting itself as waiting first and as woken after.
struct AwaitCondition: ProcessTarget {
    var condition: ProcessCondition
    /// [waiting, woken]
    var counts: SharedArray<Int>

    func run() async throws -> Bool {
        try await condition.withLock {
            counts[0] += 1
            let notified = try await condition.wait(timeout: .seconds(20))
            counts[1] += 1
            return notified
        }
    }
}

/// Waits on the condition until `flag[0]` is 1, then returns what it found in `flag[1]`.
struct AwaitPredicate: ProcessTarget {
    var condition: ProcessCondition
    var flag: SharedArray<Int>

    func run() async throws -> Int {
        try await condition.withLock {
            try await condition.wait(for: { flag[0] == 1 })
            return flag[1]
        }
    }
}

/// Goes through the barrier `rounds` times; before each round it counts itself in, and after
/// it checks that every party had arrived. Returns its arrival indices.
struct BarrierRounds: ProcessTarget {
    var barrier: ProcessBarrier
    /// One counter per round, then a failure flag.
    var arrivals: SharedArray<Int>
    var rounds: Int

    func run() async throws -> [Int] {
        var indices: [Int] = []
        for round in 0..<rounds {
            arrivals.atomicWrappingAdd(1, at: round)
            indices.append(try await barrier.wait(timeout: .seconds(20)))
            if arrivals.atomicLoad(at: round) != barrier.parties { arrivals.atomicStore(1, at: rounds) }
        }
        return indices
    }
}

// MARK: Queues

struct Stamp: Codable, Sendable, Equatable {
    var producer: Int
    var sequence: Int
    var payload: Double
}

/// Puts `count` stamps from `producer`, in order.
struct ProduceStamps: ProcessTarget {
    var queue: ProcessQueue<Stamp>
    var producer: Int
    var count: Int

    func run() async throws {
        for sequence in 0..<count {
            try await queue.put(Stamp(producer: producer, sequence: sequence, payload: Double(sequence) * 0.5))
        }
    }
}

struct StampReport: Codable, Sendable, Equatable {
    var received: [Int: Int]
    var outOfOrder: Int
    var wrongPayload: Int
}

/// Takes stamps until it has `total`, checking that each producer's arrive in order, once.
struct ConsumeStamps: ProcessTarget {
    var queue: ProcessQueue<Stamp>
    var total: Int

    func run() async throws -> StampReport {
        var next: [Int: Int] = [:]
        var report = StampReport(received: [:], outOfOrder: 0, wrongPayload: 0)
        for _ in 0..<total {
            let stamp = try await queue.get()
            if stamp.sequence != next[stamp.producer, default: 0] { report.outOfOrder += 1 }
            if stamp.payload != Double(stamp.sequence) * 0.5 { report.wrongPayload += 1 }
            next[stamp.producer] = stamp.sequence + 1
            report.received[stamp.producer, default: 0] += 1
        }
        return report
    }
}

/// Puts `count` stamps from the producer its input names: a pool job.
struct ProduceStampsJob: Job {
    var queue: ProcessQueue<Stamp>
    var count: Int

    func run(_ producer: Int) async throws -> Int {
        try await ProduceStamps(queue: queue, producer: producer, count: count).run()
        return count
    }
}

/// Takes stamps until the queue is closed and empty; returns them in the order it got them.
struct CollectUntilClosed: ProcessTarget {
    var queue: ProcessQueue<Stamp>

    func run() async throws -> [Stamp] {
        var stamps: [Stamp] = []
        for try await stamp in queue { stamps.append(stamp) }
        return stamps
    }
}

/// Puts 0..<count, noting after each put how many went in.
struct ProduceCounting: ProcessTarget {
    var queue: ProcessQueue<Int>
    var progress: SharedArray<Int>
    var count: Int

    func run() async throws {
        for value in 0..<count {
            try await queue.put(value)
            progress.atomicStore(value + 1, at: 0)
        }
    }
}

/// Gets until the queue closes; returns what it got and how the last get ended.
struct DrainUntilClosed: ProcessTarget {
    var queue: ProcessQueue<Int>
    var started: ProcessEvent

    func run() async throws -> [Int] {
        started.set()
        var values: [Int] = []
        for try await value in queue { values.append(value) }
        return values
    }
}

/// Gets `count` items, works a little on each, and marks each done.
struct WorkAndMarkDone: ProcessTarget {
    var queue: ProcessQueue<Int>
    var done: SharedArray<Int>
    var count: Int

    func run() async throws {
        for _ in 0..<count {
            _ = try await queue.get()
            try await Task.sleep(for: .milliseconds(5))
            done.atomicWrappingAdd(1, at: 0)
            try queue.taskDone()
        }
    }
}

/// Takes both of the queue's internal locks, as a put and a get in progress would, says so,
/// and holds them until killed.
struct HoldQueueLocksUntilKilled: ProcessTarget {
    var queue: ProcessQueue<Int>
    var locked: ProcessEvent

    func run() async throws {
        _ = await queue.layout.producerLock.lock()
        _ = await queue.layout.consumerLock.lock()
        locked.set()
        try await Task.sleep(for: .seconds(60))
    }
}

/// Makes a queue, and returns its encoded handle; the queue dies with this process.
struct MakeQueueAndExit: ProcessTarget {
    func run() async throws -> [UInt8] {
        let queue = try ProcessQueue<Int>()
        try await queue.put(7)
        return try BinaryEncoder().encode(queue)
    }
}

// MARK: Pipes

/// Sends `count` greetings, then returns (and its process exits without closing the end).
struct SendThenExit: ProcessTarget {
    var connection: PipeEnd<String, String>
    var count: Int

    func run() async throws {
        for index in 0..<count { try await connection.send("message \(index)") }
    }
}

/// Sends `count` greetings, then crashes.
struct SendThenAbort: ProcessTarget {
    var connection: PipeEnd<String, String>
    var count: Int

    func run() async throws {
        for index in 0..<count { try await connection.send("message \(index)") }
        abort()
    }
}

/// Sends one greeting, then waits to be killed.
struct SendThenHang: ProcessTarget {
    var sender: PipeSender<String>

    func run() async throws {
        try await sender.send("hello")
        try await Task.sleep(for: .seconds(60))
    }
}

/// Echoes every message back until the other end closes; returns how many it echoed.
struct EchoUntilClosed<Message: Codable & Sendable>: ProcessTarget {
    var connection: PipeEnd<Message, Message>

    func run() async throws -> Int {
        var echoed = 0
        for try await message in connection {
            try await connection.send(message)
            echoed += 1
        }
        return echoed
    }
}

/// Receives a queue through a pipe, and puts into it: handles travel inside messages too.
struct ReceiveQueueAndPut: ProcessTarget {
    var connection: PipeEnd<String, ProcessQueue<Int>>

    func run() async throws {
        let queue = try await connection.receive()
        try await queue.put(99)
        try await connection.send("put")
    }
}

// MARK: Shared memory

/// Fills its slice of the array with `Float(slice + 1)` at memcpy speed: one element, then
/// copies that double what is filled (a debug build's element-by-element loop would take
/// seconds for 100 million).
struct FillSlice: Job {
    var array: SharedArray<Float>
    var slices: Int

    func run(_ slice: Int) async throws -> Int {
        let per = array.count / slices
        let start = slice * per
        let end = slice == slices - 1 ? array.count : start + per
        array.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress! + start
            let count = end - start
            base[0] = Float(slice + 1)
            var filled = 1
            while filled < count {
                let step = min(filled, count - filled)
                memcpy(base + filled, base, step * MemoryLayout<Float>.stride)
                filled += step
            }
        }
        return end - start
    }
}

struct AttachReport: Codable, Sendable {
    /// Whether a descriptor or a mapping of an attached region was still open afterwards.
    var leaked: Bool
    var attached: Int
    var errors: [String]
}

/// Decodes each handle (bytes of an encoded SharedMemory) `rounds` times, releasing it each
/// time; reports the errors, and whether any descriptor or mapping of those regions remains.
struct AttachRepeatedly: ProcessTarget {
    var handles: [[UInt8]]
    var rounds: Int

    func run() async throws -> AttachReport {
        var report = AttachReport(leaked: false, attached: 0, errors: [])
        var inodes: Set<UInt64> = []
        for _ in 0..<rounds {
            for handle in handles {
                do {
                    let memory = try BinaryDecoder().decode(SharedMemory.self, from: handle)
                    _ = memory.withUnsafeBytes { $0.first }
                    inodes.insert(memory.region.inode)
                    report.attached += 1
                } catch {
                    report.errors.append("\(error)")
                }
            }
        }
        report.leaked = !openInodes().isDisjoint(with: inodes) || !mappedInodes().isDisjoint(with: inodes)
        return report
    }
}

/// Reads the first Int of a shared memory block it carries, and writes its pid there.
struct TouchSharedMemory: ProcessTarget {
    var memory: SharedMemory

    func run() async throws -> Int {
        let old = memory.withUnsafeBytes { $0.load(as: Int.self) }
        memory.withUnsafeMutableBytes { $0.storeBytes(of: Int(getpid()), as: Int.self) }
        return old
    }
}

/// Every IPC object in one job, each used once, so that a test can watch what they leave behind.
struct UseEverything: ProcessTarget {
    var lock: ProcessLock
    var recursive: ProcessRecursiveLock
    var semaphore: ProcessSemaphore
    var event: ProcessEvent
    var condition: ProcessCondition
    var barrier: ProcessBarrier
    var queue: ProcessQueue<String>
    var pipe: PipeEnd<Int, Int>
    var value: SharedValue<Double>
    var array: SharedArray<Int32>
    var crash: Bool

    func run() async throws {
        try await lock.withLock {}
        try await recursive.withLock { try await recursive.withLock {} }
        try await semaphore.withPermit {}
        event.set()
        try await condition.withLock { try condition.notifyAll() }
        _ = try await barrier.wait(timeout: .seconds(20))
        try await queue.put("from the worker")
        try await pipe.send(try await pipe.receive() + 1)
        try await value.withLock { $0 += 1.5 }
        array.atomicWrappingAdd(1, at: 0)
        if crash { abort() }
    }
}

/// The inodes of the files this process has open.
func openInodes() -> Set<UInt64> {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    var inodes: Set<UInt64> = []
    for name in names {
        var info = stat()
        if stat("/proc/self/fd/\(name)", &info) == 0 { inodes.insert(UInt64(info.st_ino)) }
    }
    return inodes
}

/// The inodes of the files this process has mapped (the fifth column of /proc/self/maps).
func mappedInodes() -> Set<UInt64> {
    let maps = (try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? ""
    var inodes: Set<UInt64> = []
    for line in maps.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if fields.count > 4, let inode = UInt64(fields[4]), inode != 0 { inodes.insert(inode) }
    }
    return inodes
}

/// The names in /dev/shm, except those Python's multiprocessing makes (`sem.mp-*` for its
/// locks and queues, `psm_*` for `shared_memory`): the benchmarks may run Python beside the tests.
func sharedMemoryDirectory() -> Set<String> {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []
    return Set(names.filter { !$0.hasPrefix("sem.mp-") && !$0.hasPrefix("psm_") })
}
