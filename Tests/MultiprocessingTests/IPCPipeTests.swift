import Foundation
import Testing
@testable import Multiprocessing

@Suite("IPC: pipes")
struct IPCPipeTests {
    @Test("round trips with a process that echoes, small messages and ones larger than the ring")
    func roundTrip() async throws {
        let (parent, child) = try ProcessPipe.duplex([Int].self, byteCapacity: 4096)
        let echo = try WorkerProcess(target: EchoUntilClosed(connection: child))
        try await echo.start()
        for index in 0..<2000 {
            try await parent.send([index])
            #expect(try await parent.receive() == [index])
        }
        let large = Array(0..<100_000)  // 800 KB through a 4 KB ring
        try await parent.send(large)
        #expect(try await parent.receive() == large)
        parent.close()
        #expect(try await echo.value == 2001)
        await #expect(throws: IPCError.closed) { try await parent.send([1]) }
    }

    @Test("the iteration ends when the peer's process exits without closing its end")
    func endOnExit() async throws {
        let (parent, child) = try ProcessPipe.duplex(String.self)
        let sender = try WorkerProcess(target: SendThenExit(connection: child, count: 3))
        try await sender.start()
        var received: [String] = []
        for try await message in parent { received.append(message) }
        #expect(received == ["message 0", "message 1", "message 2"])
        await #expect(throws: IPCError.peerClosed) { try await parent.receive() }
        await #expect(throws: IPCError.peerClosed) { try await parent.send("anyone?") }
        #expect(parent.poll())
        #expect(try await sender.join() == .exited(0))
    }

    @Test("the iteration ends when the peer's process crashes (abort)")
    func endOnCrash() async throws {
        let (parent, child) = try ProcessPipe.duplex(String.self)
        let sender = try WorkerProcess(target: SendThenAbort(connection: child, count: 2))
        try await sender.start()
        var received: [String] = []
        for try await message in parent { received.append(message) }
        #expect(received == ["message 0", "message 1"])
        #expect(try await sender.join() == .signaled(SIGABRT))
    }

    @Test("a one-way pipe: receive ends when the sender's process is killed")
    func endOnKill() async throws {
        let (receiver, sender) = try ProcessPipe.oneWay(String.self)
        let process = try WorkerProcess(target: SendThenHang(sender: sender))
        try await process.start()
        #expect(try await receiver.receive() == "hello")
        #expect(try await receiver.receive(timeout: .milliseconds(100)) == nil)
        #expect(try await !receiver.poll(timeout: .milliseconds(50)))
        process.kill()
        let killedAt = ContinuousClock.now
        await #expect(throws: IPCError.peerClosed) { try await receiver.receive() }
        #expect(ContinuousClock.now - killedAt < .seconds(2))
        #expect(!sender.poll())
    }

    @Test("close delivers what was sent, then the end of the stream; cancellation ends a receive")
    func closeAndCancel() async throws {
        let (a, b) = try ProcessPipe.duplex(Int.self)
        try await a.send(1)
        try await a.send(2)
        a.close()
        #expect(a.isClosed)
        var received: [Int] = []
        for try await value in b { received.append(value) }
        #expect(received == [1, 2])

        let (c, d) = try ProcessPipe.duplex(Int.self)
        let waiter = Task { try await c.receive() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        try await d.send(5)
        #expect(try await c.receive() == 5)
    }

    @Test("an end handed to a process belongs to it: the sender's copy refuses to be used")
    func ownership() async throws {
        let (parent, child) = try ProcessPipe.duplex(Int.self)
        #expect(child.ownerPID == getpid())
        let echo = try WorkerProcess(target: EchoUntilClosed(connection: child))
        try await echo.start()
        try await parent.send(1)
        #expect(try await parent.receive() == 1)
        #expect(child.ownerPID == echo.pid)
        await #expect(throws: IPCError.endOwnedByAnotherProcess(pid: echo.pid!)) { try await child.send(2) }
        parent.close()
        #expect(try await echo.value == 1)
    }
}
