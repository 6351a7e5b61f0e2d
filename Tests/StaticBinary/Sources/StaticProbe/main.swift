// `static-probe pool`: a local pool runs 99 squares and one item that traps (its worker dies,
// the pool goes on). `static-probe host URL`: the same through the PostgreSQL queue, run by a
// worker host that is this executable started again. Exits non-zero on any wrong result.
import Foundation
import Multiprocessing
import MultiprocessingPostgres

struct SquareOrTrap: Job {
    func run(_ x: Int) async throws -> Int {
        if x == 13 { fatalError("item 13 traps on purpose") }
        return x * x
    }
}

struct ProbeFailure: Error, CustomStringConvertible {
    let description: String
}

/// 99 squares by `map`, then item 13 by `apply` (its worker dies), then one more `apply`.
func checkSquares(on pool: some JobPool, where place: String) async throws {
    let inputs = Array(0..<100).filter { $0 != 13 }
    let squares = try await pool.map(SquareOrTrap(), inputs)
    guard squares == inputs.map({ $0 * $0 }) else { throw ProbeFailure(description: "\(place): wrong squares \(squares)") }
    do {
        let value = try await pool.apply(SquareOrTrap(), 13)
        throw ProbeFailure(description: "\(place): item 13 gave \(value) instead of trapping")
    } catch let failure as JobFailure {
        switch failure.reason {
        case .crashed: break
        case .failedOnHost(_, let cause) where cause.hasPrefix("worker crashed"): break
        default: throw ProbeFailure(description: "\(place): item 13 failed with \(failure), not a crash")
        }
    }
    let after = try await pool.apply(SquareOrTrap(), 12)
    guard after == 144 else { throw ProbeFailure(description: "\(place): after the crash, 12 gave \(after)") }
    print("static-probe: \(place): 99 squares right, item 13 crashed alone, the pool went on")
}

/// A worker host of `queue`: this executable, started again with the host's variables.
func startHost(url: String, queue: String) throws -> Process {
    let host = Process()
    host.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    host.environment = ProcessInfo.processInfo.environment.merging(
        ["MULTIPROCESSING_POSTGRES_URL": url, "MULTIPROCESSING_POSTGRES_WORKER": queue,
         "MULTIPROCESSING_POSTGRES_PROCESSES": "2"]) { $1 }
    try host.run()
    return host
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch (arguments.first, arguments.count) {
    case ("pool", 1):
        let pool = try ProcessPool(workers: 2)
        try await checkSquares(on: pool, where: "local pool")
        try pool.close()
        try await pool.join()
    case ("host", 2):
        let host = try startHost(url: arguments[1], queue: "static-probe-\(getpid())")
        defer {
            host.terminate()   // SIGTERM: the host drains and exits
            host.waitUntilExit()
        }
        let pool = try await DistributedProcessPool(url: arguments[1], queue: "static-probe-\(getpid())",
                                                    options: .init(maxAttempts: 1, timeout: .seconds(60)))
        defer { pool.close() }
        try await checkSquares(on: pool, where: "worker host")
    default:
        throw ProbeFailure(description: "usage: static-probe pool | static-probe host URL")
    }
} catch {
    FileHandle.standardError.write(Data("static-probe: \(error)\n".utf8))
    exit(1)
}
