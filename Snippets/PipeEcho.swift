// A request/reply pipe between the parent and a worker process.

import Multiprocessing

struct Request: Codable, Sendable { var text: String }
struct Reply: Codable, Sendable { var length: Int }

// The worker answers every request until the parent closes its end.
struct Measurer: ProcessTarget {
    var end: PipeEnd<Reply, Request>       // sends replies, receives requests
    func run() async throws {
        for try await request in end {     // ends when the other end is closed
            try await end.send(Reply(length: request.text.count))
        }
    }
}

let (parentEnd, workerEnd) = try ProcessPipe.duplex(sending: Request.self, receiving: Reply.self)
let worker = try WorkerProcess(target: Measurer(end: workerEnd))   // the worker's end is handed over
try await worker.start()
for text in ["a", "pipe", "between processes"] {
    try await parentEnd.send(Request(text: text))
    print(try await parentEnd.receive().length)   // 1, 4, 17
}
parentEnd.close()
_ = try await worker.join()
