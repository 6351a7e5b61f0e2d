#if Tools
import Multiprocessing

/// The sum of every byte: reads all of them.
@inline(never)
func byteSum(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBufferPointer { buffer in
        var sum: UInt64 = 0
        for byte in buffer { sum &+= UInt64(byte) }
        return sum
    }
}

/// Reads every byte of its payload and returns a fresh payload of the same size, every byte
/// of it written: ``replyWord(checksum:)`` of the byte sum, repeated.
struct EchoBytes: Job {
    func run(_ payload: [UInt8]) async throws -> [UInt8] {
        let word = replyWord(checksum: byteSum(payload))
        let size = payload.count / 8 * 8
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            fillWords(buffer.baseAddress!, count: size, with: word)
            initialized = size
        }
    }
}

/// `count` payloads of `size` bytes, each made (written) when it is read: payload i is every
/// byte `i * 7 + 1`.
struct Payloads: Sequence, Sendable {
    var count: Int
    var size: Int

    static func byte(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index &* 7 &+ 1) }

    func makeIterator() -> AnyIterator<[UInt8]> {
        var index = 0
        return AnyIterator {
            guard index < count else { return nil }
            defer { index += 1 }
            return [UInt8](repeating: Payloads.byte(index), count: size)
        }
    }
}

/// Large payloads both ways through the pool.
enum BulkEcho: Scenario {
    static let name = "bulk-echo"
    static let summary = "pool.imap(EchoBytes(), 400 payloads of 1 MiB [UInt8], chunkSize: 1), all CPUs: the parent "
        + "writes each payload, the worker sums every byte and returns a fresh 1 MiB payload derived from the sum, "
        + "the parent checks every byte of it; GiB/s moved both ways (800 MiB). Python: imap over bytes objects, "
        + "zlib.adler32 to read."

    static var countKeys: [String] { ["payloads", "payload_bytes", "workers"] }

    static var rows: [RowSpec] {
        [RowSpec(name: name, unit: "GiB/s", higherIsBetter: true, ours: "gib_per_s", peer: "gib_per_s",
                 note: "through the channel; the goal's shared-memory part is the row bulk-echo-shm.",
                 cpu: CPUSpec(work: "payloads", unit: "MiB/CPU-s", scale: 2)) {
            .ratio(atLeast: 4, $0, text: ">= 4x Python (channel)")
        }]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let count = quick ? 40 : 400
        let size = 1 << 20
        return try await withProcessPool { pool in
            let meter = CPUMeter(workers: try await warmUp(pool))
            let cpuBefore = processCPUSeconds()
            let watch = Stopwatch()
            var index = 0
            for try await echoed in try pool.imap(EchoBytes(), Payloads(count: count, size: size), chunkSize: 1) {
                // The reply of payload `index`'s content: a reply computed from anything else fails.
                let expected = replyWord(checksum: UInt64(Payloads.byte(index)) * UInt64(size))
                let right = echoed.withUnsafeBytes { allWords($0.baseAddress!, count: size, equal: expected) }
                try check(echoed.count == size && right,
                          "payload \(index): \(echoed.count) bytes, not \(size) bytes of the word \(expected)")
                index += 1
            }
            let seconds = watch.seconds
            let parentCPU = processCPUSeconds() - cpuBefore
            let cpu = try meter.metrics()
            try check(index == count, "\(index) payloads back of \(count)")
            let gib = Double(2 * count * size) / Double(1 << 30)
            return ["gib_per_s": gib / seconds, "seconds": seconds, "payloads": Double(count),
                    "payload_bytes": Double(size), "workers": Double(pool.workerCount),
                    "parent_cpu_s": parentCPU].merging(cpu)
        }
    }
}
#endif  // Tools
