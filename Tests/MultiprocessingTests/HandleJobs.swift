import Foundation
import Multiprocessing

// Jobs and inputs for the handle, stream-failure and cancellation tests: at file scope, so that
// workers find them by name.

/// Returns its input once `path` exists (the test's signal to finish).
struct WaitForFileThenEcho: Job {
    var path: String

    func run(_ x: Int) async throws -> Int {
        while !FileManager.default.fileExists(atPath: path) {
            try await Task.sleep(for: .milliseconds(10))
        }
        return x
    }
}

/// An input whose encoding fails when `value` is `refused` (its items cannot be sent).
struct Picky: Codable, Sendable {
    var value: Int
    var refused: Int

    struct Refused: Error {}

    init(_ value: Int, refused: Int) {
        self.value = value
        self.refused = refused
    }

    func encode(to encoder: any Encoder) throws {
        if value == refused { throw Refused() }
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(Int.self)
        refused = Int.min
    }
}

struct SquarePicky: Job {
    func run(_ x: Picky) async throws -> Int { x.value * x.value }
}

/// The error a test's input sequence throws.
struct InputBroke: Error, Equatable {
    var after: Int
}

/// Yields `0..<count`, then throws ``InputBroke``.
func failingInput(count: Int) -> AsyncThrowingStream<Int, any Error> {
    AsyncThrowingStream { continuation in
        for value in 0..<count { continuation.yield(value) }
        continuation.finish(throwing: InputBroke(after: count))
    }
}

/// An input that never yields and never ends (its reader waits until it is cancelled).
func silentInput() -> AsyncStream<Int> {
    AsyncStream { _ in }
}

/// A unique path for a signal file in the temporary directory.
func signalPath(_ name: String) -> String {
    NSTemporaryDirectory() + "mp-\(name)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
}

func touch(_ path: String) {
    let created = FileManager.default.createFile(atPath: path, contents: Data())
    precondition(created, "cannot create \(path)")
}
