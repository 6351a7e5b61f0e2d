// The same code on a local pool and on a pool of many machines that share a PostgreSQL queue.

// snippet.hide
// Built only with the Postgres trait, as the library it shows.
#if Postgres
// snippet.show
import Multiprocessing
import MultiprocessingPostgres
// snippet.hide
import Foundation
// snippet.show

struct WordCount: Job {
    func run(_ line: String) async throws -> Int {
        line.split(separator: " ").count
    }
}

// Written against `some JobPool`: it takes a `ProcessPool` or a `DistributedProcessPool`.
func countWords(on pool: some JobPool, _ lines: [String]) async throws -> [Int] {
    try await pool.map(WordCount(), lines)
}

let lines = ["one machine", "is not always enough", "so use many"]

let local = try ProcessPool()
print(try await countWords(on: local, lines))   // [2, 4, 3]
// snippet.hide
let counted = try await countWords(on: local, lines)
precondition(counted == [2, 4, 3])
// snippet.show
try local.close()
try await local.join()

// snippet.hide
// Runs against a database only when given one (and a worker host of this executable serves the
// queue: start this program with MULTIPROCESSING_POSTGRES_WORKER=docs and the same URL).
if let url = ProcessInfo.processInfo.environment["DOCS_POSTGRES_URL"] {
// snippet.show
let distributed = try await DistributedProcessPool(url: url, queue: "docs")   // url: "postgres://app:secret@db:5432/jobs"
print(try await countWords(on: distributed, lines))   // [2, 4, 3]
// snippet.hide
let countedThere = try await countWords(on: distributed, lines)
precondition(countedThere == [2, 4, 3])
// snippet.show
distributed.close()
// snippet.hide
}
#endif
