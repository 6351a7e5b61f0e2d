import Distributed
import Foundation
import Testing
@testable import Multiprocessing

struct Caller: Codable, Sendable, Equatable {
    var caller: Int
    var step: Int
}

@Suite("Process actors: shared objects")
struct SharedObjectTests {
    @Test("8 concurrent callers into one counter, dictionary and list: nothing lost, each caller's calls in order")
    func concurrentCallers() async throws {
        let system = ProcessActorSystem()
        let counter = try await system.spawn(SharedCounter.self)
        let dict = try await system.spawn(SharedDictionary<String, Int>.self)
        let list = try await system.spawn(SharedList<Caller>.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<8 {
                group.addTask {
                    for step in 0..<50 {
                        try await counter.add(1)
                        try await dict.set("caller-\(caller)", step)
                        try await list.append(Caller(caller: caller, step: step))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await counter.get() == 400)
        #expect(try await dict.count() == 8)
        for caller in 0..<8 { #expect(try await dict.get("caller-\(caller)") == 49) }
        let entries = try await list.snapshot()
        #expect(entries.count == 400)
        for caller in 0..<8 {
            #expect(entries.filter { $0.caller == caller }.map(\.step) == Array(0..<50))
        }
        #expect(try await counter.set(5) == 400)
        #expect(try await counter.get() == 5)
        #expect(try await dict.set("caller-0", -1) == 49)
        #expect(try await dict.remove("caller-0") == -1)
        #expect(try await dict.get("caller-0") == nil)
        #expect(try await list.popLast() != nil)
        #expect(try await list.count() == 399)
        await system.shutDown()
    }

    @Test("a namespace keeps values of any Codable type by name")
    func namespace() async throws {
        let system = ProcessActorSystem()
        let ns = try await system.spawn(SharedNamespace.self)
        try await ns.set("x", 1)
        try await ns.set("name", "swift")
        try await ns.set("point", Caller(caller: 3, step: 4))
        #expect(try await ns.get("x", as: Int.self) == 1)
        #expect(try await ns.get("name", as: String.self) == "swift")
        #expect(try await ns.get("point", as: Caller.self) == Caller(caller: 3, step: 4))
        #expect(try await ns.get("missing", as: Int.self) == nil)
        #expect(try await ns.names() == ["name", "point", "x"])
        await system.shutDown()
    }
}

/// Calls an actor whose id it was given from inside a pool worker; says what happened.
struct CallLedgerFromWorker: Job {
    func run(_ id: ProcessActorID) async throws -> String {
        do {
            let ledger = try Ledger.resolve(id: id, using: .shared)
            return "appended, count \(try await ledger.append(1))"
        } catch let error as ProcessActorError {
            return "refused: \(error)"
        }
    }
}

@Suite("Process actors: the README's claims")
struct ProcessActorReadmeTests {
    @Test("the Manager example, and the rest of the dictionary's and list's methods")
    func managerExample() async throws {
        let system = ProcessActorSystem()
        let d = try await system.spawn(SharedDictionary<String, String>.self)
        let l = try await system.spawn(SharedList<Int>.self)
        try await d.set("1", "1")
        try await d.set("2", "2")
        try await l.append(5)
        #expect(try await d.snapshot() == ["1": "1", "2": "2"])
        #expect(try await l.snapshot() == [5])
        #expect(try await d.keys().sorted() == ["1", "2"])
        try await d.removeAll()
        #expect(try await d.count() == 0)
        #expect(try await l.append(contentsOf: [6, 7]) == 3)
        #expect(try await l.element(at: 2) == 7)
        #expect(try await l.element(at: 3) == nil)
        await system.shutDown()
    }

    @Test("an id given to a pool worker travels, but a call from there is refused clearly (not built yet)")
    func callFromAWorkerIsRefused() async throws {
        let system = ProcessActorSystem()
        let ledger = try await system.spawn(Ledger.self)
        let answer = try await withProcessPool(workers: 1) { pool in
            try await pool.apply(CallLedgerFromWorker(), ledger.id)
        }
        #expect(answer.hasPrefix("refused: "))
        #expect(answer.contains("is not known to any actor system"))
        // The parent's own calls are unaffected.
        #expect(try await ledger.append(1) == 1)
        await system.shutDown()
    }
}
