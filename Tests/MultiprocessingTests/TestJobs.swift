import Foundation
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

// Jobs the tests run in worker processes: at file scope, so that workers find them by name.

struct Square: Job {
    func run(_ x: Int) async throws -> Int { x * x }
}

struct Echo<Value: Codable & Sendable>: Job {
    func run(_ value: Value) async throws -> Value { value }
}

/// Sleeps `milliseconds[input]` (or `defaultMilliseconds`), then returns the input.
struct Sleepy: Job {
    var defaultMilliseconds = 0
    var milliseconds: [Int: Int] = [:]

    func run(_ x: Int) async throws -> Int {
        let delay = milliseconds[x] ?? defaultMilliseconds
        if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
        return x
    }
}

enum TestJobError: Error, CustomStringConvertible {
    case rejected(Int)
    var description: String {
        switch self {
        case let .rejected(value): return "rejected \(value)"
        }
    }
}

/// Throws for the inputs in `failing`.
struct FailSome: Job {
    var failing: Set<Int>

    func run(_ x: Int) async throws -> Int {
        if failing.contains(x) { throw TestJobError.rejected(x) }
        return x
    }
}

/// Prints `lines` long lines to stdout and stderr, then returns its input.
struct Chatty: Job {
    var lines = 200

    func run(_ x: Int) async throws -> Int {
        let text = String(repeating: "chatter \(x) ", count: 20)
        for index in 0..<lines {
            print("\(index): \(text)")
            if index % 10 == 0 {
                FileHandle.standardError.write(Data("stderr \(x) \(index)\n".utf8))
            }
        }
        return x
    }
}

/// The pid of the worker it ran in.
struct WhoAmI: Job {
    func run(_ x: Int) async throws -> Int32 { getpid() }
}

/// A value set by the initializer in each worker.
struct Greeting: Sendable, Equatable {
    var text: String
}

struct SetGreeting: ProcessTarget {
    var text: String
    func run() async throws { WorkerState.set(Greeting(text: text)) }
}

struct ReadGreeting: Job {
    func run(_ x: Int) async throws -> String {
        "\(try WorkerState.get(Greeting.self).text) \(x)"
    }
}

struct ReturnsText: ProcessTarget {
    var text: String
    func run() async throws -> String { text.uppercased() }
}

struct NoOutput: ProcessTarget {
    func run() async throws {}
}

struct ThrowsTarget: ProcessTarget {
    func run() async throws -> Int { throw TestJobError.rejected(-1) }
}

struct SleepTarget: ProcessTarget {
    var milliseconds: Int
    func run() async throws {
        try await Task.sleep(for: .milliseconds(milliseconds))
    }
}

struct ExitTarget: ProcessTarget {
    var status: Int32
    func run() async throws { exit(status) }
}

struct Record: Codable, Sendable, Equatable {
    var id: Int
    var name: String
    var scores: [Double]
    var tags: [String: Int]
    var parent: Int?
}

/// Several fields of a struct in, a computed struct out.
struct Summarize: Job {
    var prefix: String

    func run(_ record: Record) async throws -> Record {
        var copy = record
        copy.name = prefix + record.name
        copy.scores = [record.scores.reduce(0, +)]
        return copy
    }
}

struct StampedValue: Codable, Sendable {
    var value: Int
    var finishedAt: UInt64
}

/// Like `Sleepy`, and says when it finished, by the machine's monotonic clock.
struct Stamped: Job {
    var milliseconds: [Int: Int] = [:]

    func run(_ x: Int) async throws -> StampedValue {
        if let delay = milliseconds[x] { try await Task.sleep(for: .milliseconds(delay)) }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return StampedValue(value: x, finishedAt: UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec))
    }
}

/// Waits until a file exists (the test's signal to finish).
struct WaitForFile: ProcessTarget {
    var path: String
    func run() async throws {
        while !FileManager.default.fileExists(atPath: path) {
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
