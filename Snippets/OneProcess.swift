// Start one worker process, wait for it, and read what its target returned.

import Multiprocessing

// A process target takes no input: Python's `Process(target=f)`.
struct StartFinishWorker: ProcessTarget {
    func run() async throws {
        print("Starting worker")
        try await Task.sleep(for: .seconds(1))
        print("Finished worker")
    }
}

// A target may return a Codable value, which the parent reads with `value`.
struct Answer: ProcessTarget {
    func run() async throws -> Int { 42 }
}

let process = try WorkerProcess(target: StartFinishWorker())
try await process.start()
let status = try await process.join()
print("Parent process finished:", status)   // exited with status 0

let answer = try WorkerProcess(target: Answer())
try await answer.start()
print(try await answer.value)   // 42
// snippet.hide
precondition(status.isSuccess)
let read = try await answer.value
precondition(read == 42)
