#if Tools
import Multiprocessing

/// Python: `def worker(): print("Starting worker"); time.sleep(1); print("Finished worker")`
struct StartFinishWorker: ProcessTarget {
    var seconds = 1.0

    func run() async throws {
        print("Starting worker")
        try await Task.sleep(for: .seconds(seconds))
        print("Finished worker")
    }
}

/// Python: `def worker(x): return x * x`
struct Square: Job {
    func run(_ x: Int) async throws -> Int { x * x }
}

/// Python: `def square(x): time.sleep(1); return x * x`
struct SlowSquare: Job {
    var seconds = 1.0

    func run(_ x: Int) async throws -> Int {
        try await Task.sleep(for: .seconds(seconds))
        return x * x
    }
}
#endif  // Tools
