#if Tools
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// The sum of `count` bytes at `base`, read as 64-bit words (every byte is read, and the loop
/// vectorizes): what "reads every byte" costs at memory speed.
@inline(never)
func wordSum(_ base: UnsafeRawPointer, count: Int) -> UInt64 {
    let words = base.assumingMemoryBound(to: UInt64.self)
    var sum: UInt64 = 0
    for index in 0..<(count / 8) { sum &+= words[index] }
    return sum
}

/// The word sum of `size` bytes that are all `byte`.
func expectedWordSum(byte: UInt8, size: Int) -> UInt64 {
    let word = UInt64(byte) &* 0x0101_0101_0101_0101
    return word &* UInt64(size / 8)
}

/// Reads every byte of input slot `slot` and writes a fresh payload into output slot `slot`,
/// both in memory shared with the parent: the bytes move both ways with no copy through the
/// channel, and no handle stands in for them (each side still writes and reads every byte).
/// The reply is ``replyWord(checksum:)`` of the input's word sum, repeated.
struct EchoShared: Job {
    var input: SharedMemory
    var output: SharedMemory
    var slotSize: Int

    func run(_ slot: Int) async throws -> UInt64 {
        let sum = wordSum(input.baseAddress + slot * slotSize, count: slotSize)
        fillWords(output.baseAddress + slot * slotSize, count: slotSize, with: replyWord(checksum: sum))
        return sum
    }
}

/// Large payloads both ways through shared memory (the library's `SharedMemory`), the parent
/// writing each payload into a slot and reading every byte of each reply.
enum BulkEchoShared: Scenario {
    static let name = "bulk-echo-shm"
    static let summary = "400 payloads of 1 MiB through SharedMemory slots (16 in flight): the parent writes each "
        + "payload (memset), a worker reads every byte of it and writes a fresh 1 MiB reply derived from its sum into an "
        + "output slot (poisoned before the timed part), the parent checks every byte of the reply; "
        + "the pool carries only slot numbers; GiB/s moved both ways. Python: multiprocessing.shared_memory, the same."
    static var countKeys: [String] { ["payloads", "payload_bytes", "workers"] }

    static var rows: [RowSpec] {
        [RowSpec(name: name, unit: "GiB/s", higherIsBetter: true, ours: "gib_per_s", peer: "gib_per_s",
                 note: "Python: multiprocessing.shared_memory slots, the pool carrying slot numbers (apply_async, "
                     + "16 in flight), adler32 to read, the reply written by doubling copies; the goal is absolute.",
                 cpu: CPUSpec(work: "payloads", unit: "MiB/CPU-s", scale: 2)) { context in
            let value = context.ours["gib_per_s"]
            return GoalEvaluation(text: ">= 10 GiB/s (shared memory)", quantity: "GiB/s", value: value, target: 10)
        }]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let count = quick ? 40 : 400
        let size = 1 << 20
        let slots = 16
        let input = try SharedMemory(byteCount: slots * size)
        let output = try SharedMemory(byteCount: slots * size)
        // Fault the pages in once, as a long-running program would have them.
        memset(input.baseAddress, 0, slots * size)
        memset(output.baseAddress, 0, slots * size)
        let job = EchoShared(input: input, output: output, slotSize: size)
        // What each payload's reply must be. A worker that skipped writing would leave in its
        // output slot either the poison written below or the reply of the payload `slots`
        // earlier: check that neither can pass for the right reply, so the check can fail.
        let poison: UInt8 = 0xA5
        let poisonWord = UInt64(poison) &* 0x0101_0101_0101_0101
        let replies = (0..<count).map { replyWord(checksum: expectedWordSum(byte: Payloads.byte($0), size: size)) }
        for payload in 0..<count {
            try check(replies[payload] != poisonWord, "payload \(payload)'s reply is the poison")
            try check(payload < slots || replies[payload] != replies[payload - slots],
                      "payloads \(payload - slots) and \(payload) have the same reply")
        }
        return try await withProcessPool { pool in
            let workers = try await warmUp(pool)
            _ = try await pool.map(job, Array(0..<slots), chunkSize: 1)
            // The untimed map above wrote replies into every output slot: poison them, so that
            // what the timed part reads back was written by it.
            memset(output.baseAddress, Int32(poison), slots * size)
            let cpuBefore = processCPUSeconds()
            let meter = CPUMeter(workers: workers)
            let watch = Stopwatch()
            var handles: [JobHandle<UInt64>?] = Array(repeating: nil, count: slots)

            func collect(_ payload: Int) async throws {
                let slot = payload % slots
                guard let handle = handles[slot] else { return }
                let byte = Payloads.byte(payload)
                let sum = try await handle.value
                try check(sum == expectedWordSum(byte: byte, size: size), "payload \(payload): input sum \(sum)")
                try check(allWords(output.baseAddress + slot * size, count: size, equal: replies[payload]),
                          "payload \(payload): output slot \(slot) does not hold its reply")
                handles[slot] = nil
            }

            for payload in 0..<count {
                let slot = payload % slots
                if payload >= slots { try await collect(payload - slots) }
                memset(input.baseAddress + slot * size, Int32(Payloads.byte(payload)), size)
                handles[slot] = try pool.submit(job, slot)
            }
            for payload in max(0, count - slots)..<count { try await collect(payload) }
            let seconds = watch.seconds
            let cpu = try meter.metrics()
            let gib = Double(2 * count * size) / Double(1 << 30)
            return ["gib_per_s": gib / seconds, "seconds": seconds, "payloads": Double(count),
                    "payload_bytes": Double(size), "workers": Double(pool.workerCount),
                    "parent_cpu_s": processCPUSeconds() - cpuBefore].merging(cpu)
        }
    }
}
#endif  // Tools
