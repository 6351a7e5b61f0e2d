// `CoreOnlyProbe`: a pool of 2 workers squares 0..<100, as a program that depends on the core
// library alone would. Exits non-zero on a wrong result.
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

struct Square: Job {
    func run(_ x: Int) async throws -> Int { x * x }
}

let pool = try ProcessPool(workers: 2)
let squares = try await pool.map(Square(), Array(0..<100))
let workers = await pool.workerPIDs()
try pool.close()
try await pool.join()
guard squares == (0..<100).map({ $0 * $0 }), workers.count == 2, !workers.contains(getpid()) else {
    print("core-only consumer: wrong pool result: squares \(squares), workers \(workers)")
    exit(1)
}
print("core-only consumer: 100 squares right, from 2 worker processes")
