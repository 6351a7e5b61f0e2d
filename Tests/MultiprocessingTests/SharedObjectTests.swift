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
