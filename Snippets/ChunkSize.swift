// Tiny items: send many per message. Big data: pass it in shared memory, not through the channel.

import Multiprocessing

struct Increment: Job {
    func run(_ x: Int) async throws -> Int { x + 1 }
}

// Sums one slice of a shared array in place: only the slice's bounds travel in the message.
struct SumSlice: Job {
    var data: SharedArray<Double>
    func run(_ slice: Range<Int>) async throws -> Double {
        data.withUnsafeBufferPointer { buffer in buffer[slice].reduce(0, +) }
    }
}

print(ProcessPool.availableCPUs)   // the default worker count: the CPUs this process may use

try await withProcessPool { pool in
    // `map` cuts its input into about four chunks per worker by default; set it when you know better.
    let bumped = try await pool.map(Increment(), Array(0..<100_000), chunkSize: 5_000)

    // Streams send one item per message unless told otherwise.
    var count = 0
    for try await _ in try pool.imapUnordered(Increment(), 0..<10_000, chunkSize: 500) { count += 1 }

    let data = try SharedArray<Double>(repeating: 1, count: 1 << 20)
    let slices = stride(from: 0, to: data.count, by: 1 << 16).map { $0..<min($0 + (1 << 16), data.count) }
    let sum = try await pool.map(SumSlice(data: data), slices).reduce(0, +)
    print(bumped.count, count, sum)   // 100000 10000 1048576.0
    // snippet.hide
    precondition(bumped == (1...100_000).map { $0 })
    precondition(count == 10_000 && sum == Double(1 << 20))
    // snippet.show
}
