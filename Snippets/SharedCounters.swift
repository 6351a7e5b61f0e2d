// Shared memory that pool workers update in place: atomics, a locked value, a lock.

import Multiprocessing

struct Count: Job {
    var hits: SharedArray<Int>            // the same memory in every worker that decodes the job
    var total: SharedValue<Double>        // a value with its own process-shared lock
    func run(_ n: Int) async throws -> Int {
        for _ in 0..<n { hits.atomicWrappingAdd(1, at: 0) }      // lock-free, across processes
        try await total.withLock { $0 += Double(n) }
        return n
    }
}

struct Append: Job {
    var lock: ProcessLock
    var log: SharedArray<Int32>
    func run(_ value: Int32) async throws -> Bool {
        try await lock.withLock {                                 // Python's `with lock:`
            let used = Int(log[0])
            log.withUnsafeMutableBufferPointer { $0[1 + used] = value; $0[0] = Int32(used + 1) }
        }
        return true
    }
}

let hits = try SharedArray<Int>(count: 1)
let total = try SharedValue(0.0)
let lock = try ProcessLock()
let log = try SharedArray<Int32>(repeating: 0, count: 1 + 8)

try await withProcessPool(workers: 4) { pool in
    _ = try await pool.map(Count(hits: hits, total: total), Array(repeating: 10_000, count: 8))
    _ = try await pool.map(Append(lock: lock, log: log), Array(1...8), chunkSize: 1)
}
print(hits[0], try await total.load(), log[0])   // 80000 80000.0 8
// snippet.hide
precondition(hits[0] == 80_000)
let loaded = try await total.load()
precondition(loaded == 80_000)
precondition(log[0] == 8 && Set(log.toArray().dropFirst()) == Set(1...8))
