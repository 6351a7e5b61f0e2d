// Submit a job that outlives its submitter, collect it from another process, and read the queue's state.

// snippet.hide
// Built only with the Postgres trait, as the library it shows.
#if Postgres
// snippet.show
import Multiprocessing
import MultiprocessingPostgres
// snippet.hide
import Foundation
// snippet.show

struct Resize: Job {
    var width: Int
    func run(_ path: String) async throws -> String { "\(path)@\(width)" }
}

// snippet.hide
guard let url = ProcessInfo.processInfo.environment["DOCS_POSTGRES_URL"] else { exit(0) }
// snippet.show
let pool = try await DistributedProcessPool(
    url: url, queue: "images",
    options: .init(timeout: .seconds(60), priority: 1))

// `start` stores the job and its tasks, and returns at once; `map` uses it underneath.
let job = try await pool.start(Resize(width: 256), ["a.png", "b.png", "c.png"])
print("job", job.id, "with", job.total, "tasks")

// snippet.hide
var collected = 0
// snippet.show
// Any process can collect it by id, for instance a submitter started again after a crash.
let again = try await pool.attach(jobID: job.id, outputType: String.self)
for try await outcome in again.outcomes() {       // in the order the hosts finish them
    print(outcome.index, outcome.result)
    // snippet.hide
    let expected = ["a.png@256", "b.png@256", "c.png@256"][outcome.index]
    guard case .success(expected) = outcome.result else { fatalError("task \(outcome.index): \(outcome.result)") }
    collected += 1
    // snippet.show
}

// Pending, running by host, done, failed, dead: what `mp-postgres status` prints.
print(try await pool.status())
pool.close()
// snippet.hide
precondition(collected == 3)
#endif
