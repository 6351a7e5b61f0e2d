// A producer process puts values on a queue; the parent reads them until the queue is closed.

import Multiprocessing

struct Producer: ProcessTarget {
    var queue: ProcessQueue<Int>          // decoding the job in the worker attaches to the queue
    func run() async throws {
        for i in 0..<1_000 { try await queue.put(i) }   // waits while the queue is full
        await queue.close()
    }
}

let queue = try ProcessQueue<Int>(maxCount: 100)
let producer = try WorkerProcess(target: Producer(queue: queue))
try await producer.start()
var total = 0
for try await value in queue { total += value }          // ends once the queue is closed and empty
print(total)   // 499500
// snippet.hide
_ = try await producer.join()
precondition(total == 499_500)
