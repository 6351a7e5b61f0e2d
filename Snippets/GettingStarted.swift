// Map a job over a list in a pool of worker processes, then shut the pool down.

import Multiprocessing

// A job is a Codable value declared at file scope; `run` is called in a worker, once per input.
struct Square: Job {
    func run(_ x: Int) async throws -> Int { x * x }
}

// One worker per CPU this process may use; the pool is closed and joined when the body returns.
let squares = try await withProcessPool { pool in
    try await pool.map(Square(), Array(0..<1_000))
}
print(squares.prefix(5))   // [0, 1, 4, 9, 16]
// snippet.hide
precondition(squares == (0..<1_000).map { $0 * $0 })
// snippet.show

// The same without the scope: make the pool, use it, close it and wait for it.
let pool = try ProcessPool(workers: 4)
let four = try await pool.map(Square(), [1, 2, 3, 4])
try pool.close()
try await pool.join()
print(four)   // [1, 4, 9, 16]
// snippet.hide
precondition(four == [1, 4, 9, 16])
