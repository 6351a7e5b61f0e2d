// Jobs carry what a closure would capture, set up per-worker state once, and report failures per item.

import Multiprocessing

// What a closure would capture goes in stored properties: they travel with the job.
struct Scale: Job {
    var factor: Int
    func run(_ x: Int) async throws -> Int { x * factor }
}

// Generic jobs work too.
struct Echo<Value: Codable & Sendable>: Job {
    func run(_ value: Value) async throws -> Value { value }
}

// State a worker sets up once (a model, a dictionary, a connection): an initializer target
// stores it with `WorkerState.set`, jobs read it with `WorkerState.get`.
struct Vocabulary: Sendable {
    var words: Set<String>
}

struct LoadVocabulary: ProcessTarget {
    var words: [String]
    func run() async throws { WorkerState.set(Vocabulary(words: Set(words))) }
}

struct IsKnown: Job {
    func run(_ word: String) async throws -> Bool {
        try WorkerState.get(Vocabulary.self).words.contains(word)
    }
}

// An error a job throws reaches the parent as a `JobFailure`.
struct NotANumber: Error, CustomStringConvertible {
    var text: String
    var description: String { "not a number: \(text)" }
}

struct ParseNumber: Job {
    func run(_ text: String) async throws -> Int {
        guard let number = Int(text) else { throw NotANumber(text: text) }
        return number
    }
}

let options = ProcessPool.Options(initializer: LoadVocabulary(words: ["process", "pool"]))
try await withProcessPool(workers: 2, options: options) { pool in
    print(try await pool.map(Scale(factor: 10), [1, 2, 3]))              // [10, 20, 30]
    print(try await pool.map(Echo<String>(), ["a", "b"]))                // ["a", "b"]
    print(try await pool.map(IsKnown(), ["pool", "thread"]))             // [true, false]

    // `map` throws the first failure; `mapResults` gives every item its own `Result`.
    for result in try await pool.mapResults(ParseNumber(), ["1", "two", "3"]) {
        switch result {
        case let .success(number):
            print("parsed", number)
        case let .failure(failure):
            print("item", failure.index ?? -1, "failed:", failure.reason)   // item 1 failed: threw …NotANumber: not a number: two
        }
    }
    // snippet.hide
    let scaled = try await pool.map(Scale(factor: 10), [1, 2, 3])
    let known = try await pool.map(IsKnown(), ["pool", "thread"])
    precondition(scaled == [10, 20, 30] && known == [true, false])
    let results = try await pool.mapResults(ParseNumber(), ["1", "two", "3"])
    guard case .failure(let failure) = results[1], case .threw = failure.reason, failure.index == 1 else {
        fatalError("expected item 1 to fail with the error it threw, got \(results[1])")
    }
    // snippet.show
}
