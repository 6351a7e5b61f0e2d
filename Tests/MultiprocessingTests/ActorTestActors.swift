import Distributed
import Foundation
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

// Distributed actors the "Process actors" suite creates in child processes. File scope: a
// child finds each by its mangled name.

enum LedgerError: Error, Codable, Equatable {
    case overdrawn(balance: Int, asked: Int)
}

struct PlainError: Error, CustomStringConvertible {
    var description: String { "not Codable" }
}

distributed actor Ledger: ProcessHostedActor {
    typealias ActorSystem = ProcessActorSystem

    private var entries: [Int] = []
    private var running = 0
    private var mostRunning = 0

    distributed func append(_ value: Int) -> Int {
        entries.append(value)
        return entries.count
    }

    distributed func all() -> [Int] { entries }

    distributed func withdraw(_ amount: Int) throws -> Int {
        let balance = entries.reduce(0, +)
        guard amount <= balance else { throw LedgerError.overdrawn(balance: balance, asked: amount) }
        entries.append(-amount)
        return balance - amount
    }

    distributed func failPlainly() throws { throw PlainError() }

    distributed func pid() -> Int32 { getpid() }

    /// Suspends mid-call; records how many calls ran at once.
    distributed func slowAppend(_ value: Int) async throws {
        running += 1
        mostRunning = max(mostRunning, running)
        try await Task.sleep(for: .milliseconds(20))
        entries.append(value)
        running -= 1
    }

    distributed func mostAtOnce() -> Int { mostRunning }

    distributed func crash(_ why: String) {
        FileHandle.standardError.write(Data("about to crash: \(why)\n".utf8))
        fatalError(why)
    }

    distributed func hang() async {
        while true { usleep(100_000) }
    }
}
