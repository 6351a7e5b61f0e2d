import Distributed
import Foundation
import Testing
@testable import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Process actors")
struct ProcessActorTests {
    @Test("an actor lives in a child process and its calls run in the caller's order")
    func orderedCalls() async throws {
        let system = ProcessActorSystem()
        let ledger = try await system.spawn(Ledger.self)
        let pid = try await ledger.pid()
        #expect(pid != getpid())
        #expect(isLiveChild(pid))
        for i in 0..<200 {
            #expect(try await ledger.append(i) == i + 1)
        }
        #expect(try await ledger.all() == Array(0..<200))
        await system.shutDown()
    }

    @Test("the actor runs one call at a time, even across its own awaits")
    func oneCallAtATime() async throws {
        let system = ProcessActorSystem()
        let ledger = try await system.spawn(Ledger.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<6 { group.addTask { try await ledger.slowAppend(i) } }
            try await group.waitForAll()
        }
        #expect(try await ledger.mostAtOnce() == 1)
        #expect(try await ledger.all().sorted() == Array(0..<6))
        await system.shutDown()
    }

    @Test("a Codable error arrives as itself; another one by its type and text")
    func thrownErrors() async throws {
        let system = ProcessActorSystem()
        let ledger = try await system.spawn(Ledger.self)
        _ = try await ledger.append(10)
        await #expect(throws: LedgerError.overdrawn(balance: 10, asked: 11)) { try await ledger.withdraw(11) }
        #expect(try await ledger.withdraw(4) == 6)
        do {
            try await ledger.failPlainly()
            Issue.record("failPlainly returned")
        } catch let error as ProcessActorError {
            #expect(error == .threw(errorType: String(reflecting: PlainError.self), message: "not Codable"))
        }
        // The actor is still there, with its state.
        #expect(try await ledger.all() == [10, -4])
        await system.shutDown()
    }

    @Test("a type a child cannot find is refused at creation, as a job's is")
    func unresolvableType() async throws {
        distributed actor LocalActor: ProcessHostedActor {
            typealias ActorSystem = ProcessActorSystem
            distributed func hello() -> String { "hi" }
        }
        let system = ProcessActorSystem()
        do {
            _ = try await system.spawn(LocalActor.self)
            Issue.record("a local actor type was accepted")
        } catch let error as ProcessPoolError {
            guard case let .unresolvableJobType(name, reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(name.contains("LocalActor"))
            #expect(reason.contains("file scope"))
        }
    }
}
