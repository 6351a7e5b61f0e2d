import Distributed
import Foundation
import Testing
@testable import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Process actors: supervision and release")
struct ProcessActorSupervisionTests {
    @Test("a crash mid-call fails the calls in flight with the cause; later calls fail clearly")
    func crashWithoutRestart() async throws {
        let system = ProcessActorSystem()
        let ledger = try await system.spawn(Ledger.self)
        _ = try await ledger.append(1)
        async let crashed: Void = ledger.crash("actor crashed on purpose")
        // Sent after the crashing call: in flight when the process dies.
        try await Task.sleep(for: .milliseconds(5))
        async let queued = ledger.append(2)
        var errors: [any Error] = []
        do { try await crashed } catch { errors.append(error) }
        do { _ = try await queued } catch { errors.append(error) }
        #expect(errors.count == 2)
        // The second call is in flight only if it reached the reactor before the death (the
        // 5 ms sleep does not make sure of it on a loaded machine); if it came after, it must
        // fail as a call to a stopped actor.
        if errors.count == 2, let late = errors[1] as? ProcessActorError {
            guard case .actorStopped = late else { Issue.record("\(late)"); return }
            errors.removeLast()
        }
        for thrown in errors {
            guard let error = thrown as? JobFailure else {
                Issue.record("expected a JobFailure, got \(thrown)")
                continue
            }
            guard case let .crashed(status) = error.reason else {
                Issue.record("expected a crash, got \(error.reason)")
                continue
            }
            #expect(status.signalName != nil)
            #expect(error.stderrTail.contains { $0.contains("about to crash: actor crashed on purpose") })
        }
        do {
            _ = try await ledger.append(3)
            Issue.record("a call after the crash succeeded")
        } catch let error as ProcessActorError {
            guard case let .actorStopped(id, cause) = error else { Issue.record("\(error)"); return }
            #expect(id == ledger.id)
            #expect(cause.contains("crashed"))
        }
    }

    @Test("a restart brings the actor back fresh under the same id, until the last one")
    func restarts() async throws {
        let system = ProcessActorSystem()
        let ledger = try await system.spawn(Ledger.self, options: .init(maxRestarts: 1, backoff: .milliseconds(10)))
        let firstPID = try await ledger.pid()
        _ = try await ledger.append(7)
        await #expect(throws: JobFailure.self) { try await ledger.crash("first") }
        // The same reference, the same id, a new process, fresh state.
        #expect(try await ledger.all() == [])
        let secondPID = try await ledger.pid()
        #expect(secondPID != firstPID)
        #expect(!isLiveChild(firstPID))
        let again = try Ledger.resolve(id: ledger.id, using: system)
        #expect(try await again.append(8) == 1)
        await #expect(throws: JobFailure.self) { try await ledger.crash("second") }
        await #expect(throws: ProcessActorError.self) { try await ledger.all() }
    }

    @Test("a call past its timeout fails and its process is killed; a restart serves the next")
    func callTimeout() async throws {
        let system = ProcessActorSystem()
        let ledger = try await system.spawn(Ledger.self, options: .init(maxRestarts: 1, backoff: .milliseconds(10),
                                                                       callTimeout: .milliseconds(300)))
        let stuckPID = try await ledger.pid()
        do {
            try await ledger.hang()
            Issue.record("hang returned")
        } catch let error as JobFailure {
            #expect(error.reason == .timedOut(.milliseconds(300)))
        }
        #expect(await eventually { !isLiveChild(stuckPID) })
        #expect(try await ledger.append(1) == 1)
        #expect(try await ledger.pid() != stuckPID)
        await system.shutDown()
    }

    @Test("shutDown ends the actor's process; later calls fail")
    func shutDownEndsTheProcess() async throws {
        let system = ProcessActorSystem()
        let ledger = try await system.spawn(Ledger.self)
        let pid = try await ledger.pid()
        await system.shutDown()
        #expect(!isChildEntry(pid))
        await #expect(throws: ProcessActorError.self) { try await ledger.append(1) }
        await #expect(throws: ProcessActorError.self) { _ = try await system.spawn(Ledger.self) }
    }

    @Test("releasing the system and its actors kills the actor's process")
    func releaseKillsTheProcess() async throws {
        var pid: Int32 = 0
        do {
            let system = ProcessActorSystem()
            let ledger = try await system.spawn(Ledger.self)
            pid = try await ledger.pid()
            #expect(isLiveChild(pid))
        }
        #expect(await eventually { !isChildEntry(pid) })
    }
}
