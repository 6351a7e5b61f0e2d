import Foundation
import Testing
@testable import Multiprocessing

@Suite("IPC: lifetimes, handles, leaks")
struct IPCLifecycleTests {
    @Test("decoding a handle whose creator released the object fails with a clear error, here and in a worker")
    func attachAfterRelease() async throws {
        var encoded: [UInt8] = []
        do {
            let memory = try SharedMemory(byteCount: 100)
            encoded = try BinaryEncoder().encode(memory)
            // A handle of a live object attaches, even in its own process (the same mapping).
            let again = try BinaryDecoder().decode(SharedMemory.self, from: encoded)
            #expect(again.baseAddress == memory.baseAddress)
        }
        do {
            _ = try BinaryDecoder().decode(SharedMemory.self, from: encoded)
            Issue.record("attached to a released region")
        } catch let IPCError.cannotAttach(why) {
            #expect(why.contains("no process holds this shared memory any more"))
        }
        let report = try await WorkerProcess.run(AttachRepeatedly(handles: [encoded], rounds: 1))
        #expect(report.attached == 0 && report.errors.count == 1)
        #expect(report.errors.first?.contains("cannot attach to the shared object") == true)

        // Decoded as the wrong kind of object, a handle is refused too.
        let lock = try ProcessLock()
        let lockBytes = try BinaryEncoder().encode(lock)
        #expect(throws: IPCError.self) { try BinaryDecoder().decode(ProcessEvent.self, from: lockBytes) }
    }

    @Test("a queue made by a process that exited cannot be attached")
    func creatorExited() async throws {
        let encoded = try await WorkerProcess.run(MakeQueueAndExit())
        #expect(throws: IPCError.self) { try BinaryDecoder().decode(ProcessQueue<Int>.self, from: encoded) }
    }

    @Test("no descriptor leaks: create, attach and release in a loop, here and in a worker")
    func noDescriptorLeak() async throws {
        // Other tests run in this process at the same time, so count what this loop made: no
        // descriptor and no mapping of its regions' inodes may remain.
        var inodes: Set<UInt64> = []
        for _ in 0..<200 {
            let memory = try SharedMemory(byteCount: 4096)
            let queue = try ProcessQueue<Int>(byteCapacity: 4096)
            let (a, b) = try ProcessPipe.duplex(Int.self, byteCapacity: 4096)
            let copy = try BinaryDecoder().decode(SharedMemory.self, from: BinaryEncoder().encode(memory))
            let end = try BinaryDecoder().decode(PipeEnd<Int, Int>.self, from: BinaryEncoder().encode(b))
            try await queue.put(1)
            try await a.send(1)
            #expect(try await end.receive() == 1)
            inodes.formUnion([memory.region.inode, queue.region.inode, a.core.region.inode, copy.region.inode])
        }
        #expect(inodes.count == 600)
        #expect(openInodes().isDisjoint(with: inodes))
        #expect(mappedInodes().isDisjoint(with: inodes))

        // A worker attaches to 10 blocks 20 times each, releasing them each time.
        let blocks = try (0..<10).map { _ in try SharedMemory(byteCount: 4096) }
        let handles = try blocks.map { try BinaryEncoder().encode($0) }
        let report = try await WorkerProcess.run(AttachRepeatedly(handles: handles, rounds: 20))
        #expect(report.errors.isEmpty, "errors: \(report.errors)")
        #expect(report.attached == 200)
        #expect(!report.leaked)
        withExtendedLifetime(blocks) {}
    }

    @Test("nothing appears in /dev/shm, during or after, even when a worker using every object crashes")
    func nothingInDevShm() async throws {
        let before = sharedMemoryDirectory()
        for crash in [false, true] {
            let (mine, theirs) = try ProcessPipe.duplex(Int.self)
            let target = UseEverything(
                lock: try ProcessLock(), recursive: try ProcessRecursiveLock(), semaphore: try ProcessSemaphore(value: 1),
                event: try ProcessEvent(), condition: try ProcessCondition(), barrier: try ProcessBarrier(parties: 2),
                queue: try ProcessQueue(), pipe: theirs, value: try SharedValue(1.0), array: try SharedArray(count: 4),
                crash: crash)
            let worker = try WorkerProcess(target: target)
            try await worker.start()
            _ = try await target.barrier.wait(timeout: .seconds(20))
            try await mine.send(41)
            #expect(try await mine.receive() == 42)
            #expect(try await target.queue.get() == "from the worker")
            try await target.event.wait()
            #expect(sharedMemoryDirectory() == before)
            let status = try await worker.join()
            #expect(status == (crash ? .signaled(SIGABRT) : .exited(0)))
            #expect(try await target.value.load() == 2.5)
        }
        #expect(sharedMemoryDirectory() == before)
    }
}
