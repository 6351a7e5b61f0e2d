// Stream results as they complete, and submit single calls that return handles.

import Multiprocessing

struct SlowSquare: Job {
    func run(_ x: Int) async throws -> Int {
        try await Task.sleep(for: .seconds(1))
        return x * x
    }
}

try await withProcessPool { pool in
    // Python's `imap_unordered`: each output as soon as its item is done.
    var seen: [Int] = []
    for try await square in try pool.imapUnordered(SlowSquare(), 0..<10) {
        print(square)
        seen.append(square)
    }
    // snippet.hide
    precondition(seen.sorted() == (0..<10).map { $0 * $0 })
    // snippet.show

    // Python's `imap`: the outputs in input order, while the input is still being read.
    for try await square in try pool.imap(SlowSquare(), [3, 4]) {
        print(square)   // 9, then 16
    }

    // Python's `apply` and `apply_async`: one item; a handle can be read any number of times.
    let nine = try await pool.apply(SlowSquare(), 3)
    let handle = try pool.submit(SlowSquare(), 5)
    print(nine, try await handle.value, handle.isFinished)   // 9 25 true
    // snippet.hide
    precondition(nine == 9)
    let read = try await handle.value
    precondition(read == 25)
}
