#if Postgres
import Foundation
import Logging
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Synchronization

struct PGSquare: Job {
    func run(_ x: Int) async throws -> Int { x * x }
}

/// Sleeps, then returns its input: work that takes a known time.
struct PGNap: Job {
    var milliseconds: Int
    func run(_ x: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return x
    }
}

/// Traps on 13: kills every worker that runs it.
struct PGPoison: Job {
    func run(_ x: Int) async throws -> Int {
        if x == 13 { fatalError("poison input \(x)") }
        return x
    }
}

struct PGRefusal: Error, CustomStringConvertible {
    var description: String { "odd input refused" }
}

/// Throws on odd inputs.
struct PGThrowsOnOdd: Job {
    func run(_ x: Int) async throws -> Int {
        if x % 2 == 1 { throw PGRefusal() }
        return x
    }
}

/// Writes `lines` numbered lines to its standard error, then exits with status 3: a worker
/// that dies after saying why, over more lines than the local pool keeps (20).
struct PGStderrThenExit: Job {
    var lines: Int
    func run(_ x: Int) async throws -> Int {
        for line in 1...lines {
            FileHandle.standardError.write(Data("stderr line \(line) of \(lines)\n".utf8))
        }
        exit(3)
    }
}

/// A queue name of its own for each test, so that tests sharing the server do not meet.
func uniqueQueue(_ name: String) -> String {
    "\(name)-\(UUID().uuidString.prefix(8))"
}

/// A plain client for the tests' own looks at the tables.
func withTestClient<Result: Sendable>(_ url: String, _ body: (PostgresClient) async throws -> Result) async throws -> Result {
    let settings = try PostgresConnectionSettings(url: url)
    var configuration = PostgresClient.Configuration(host: settings.host, port: settings.port, username: settings.username,
                                                     password: settings.password, database: settings.database, tls: .disable)
    configuration.options.maximumConnections = 2
    let client = PostgresClient(configuration: configuration)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}

/// One number from a query.
func scalar(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int {
    for try await value in try await client.query(query).decode(Int.self) { return value }
    return -1
}

struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` every 10 ms until it holds; fails the test after `timeout`.
func waitUntil(timeout: Duration = .seconds(30), _ what: String = #function, line: Int = #line,
               _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(description: "\(what):\(line): not within \(timeout)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// `body`'s value; fails the test after `timeout` instead of waiting for ever (without waiting
/// for `body` to notice its cancellation: a hang may be one that ignores it).
func withHangGuard<Value: Sendable>(_ timeout: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> Value)
    async throws -> Value {
    let race = HangGuardRace<Value>()
    return try await withCheckedThrowingContinuation { continuation in
        race.start(continuation, timeout: timeout, what: what, body)
    }
}

/// The first of a body's result and its deadline.
final class HangGuardRace<Value: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Value, any Error>?, tasks: [Task<Void, Never>])>((nil, []))

    func start(_ continuation: CheckedContinuation<Value, any Error>, timeout: Duration, what: String,
               _ body: @escaping @Sendable () async throws -> Value) {
        state.withLock { $0.continuation = continuation }
        let running = Task {
            do { self.finish(.success(try await body())) } catch { self.finish(.failure(error)) }
        }
        let timer = Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self.finish(.failure(TimedOut(description: "\(what): not within \(timeout)")))
        }
        let done = state.withLock { state -> Bool in
            state.tasks = [running, timer]
            return state.continuation == nil
        }
        if done { finish(.failure(CancellationError())) }
    }

    func finish(_ result: Result<Value, any Error>) {
        let (continuation, tasks) = state.withLock { state in
            defer { state = (nil, []) }
            return state
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}

/// When a task ran, on the one monotonic clock of the machine (hosts are processes of it).
struct PGSpan: Codable, Sendable {
    var start: UInt64
    var end: UInt64

    /// The most spans running at one instant.
    static func mostAtOnce(_ spans: [PGSpan]) -> Int {
        // An end at the instant of a start comes first: those two did not overlap.
        var edges: [(at: UInt64, step: Int)] = []
        for span in spans {
            edges.append((span.start, 1))
            edges.append((span.end, -1))
        }
        edges.sort { left, right in left.at != right.at ? left.at < right.at : left.step < right.step }
        var now = 0
        var most = 0
        for edge in edges {
            now += edge.step
            most = max(most, now)
        }
        return most
    }
}

/// Naps and reports when it ran.
struct PGTimedNap: Job {
    var milliseconds: Int
    func run(_ x: Int) async throws -> PGSpan {
        let start = DispatchTime.now().uptimeNanoseconds
        try await Task.sleep(for: .milliseconds(milliseconds))
        return PGSpan(start: start, end: DispatchTime.now().uptimeNanoseconds)
    }
}

/// Returns `count` copies of its input: an output of a chosen size that says whose it is.
struct PGBulky: Job {
    var count: Int
    func run(_ x: Int) async throws -> [Int] {
        [Int](repeating: x, count: count)
    }
}
#endif  // Postgres
