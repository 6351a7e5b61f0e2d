import Foundation
import Testing
@testable import Multiprocessing

@Suite("IPC: locks and atomics")
struct IPCLockTests {
    @Test("4 processes add 1 a hundred thousand times each under a ProcessLock: exactly 400,000")
    func lockedCounter() async throws {
        let lock = try ProcessLock()
        let counter = try SharedArray<Int>(count: 1)
        let target = LockedIncrements(lock: lock, counter: counter, iterations: 100_000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try await WorkerProcess.run(target) } }
            try await group.waitForAll()
        }
        #expect(counter[0] == 400_000)
        #expect(!lock.isLocked)
    }

    @Test("4 processes add 1 a hundred thousand times each with an atomic add: exactly 400,000")
    func atomicCounter() async throws {
        let counter = try SharedArray<Int>(count: 1)
        let target = AtomicIncrements(counter: counter, iterations: 100_000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try await WorkerProcess.run(target) } }
            try await group.waitForAll()
        }
        #expect(counter.atomicLoad(at: 0) == 400_000)
    }

    @Test("a holder killed with SIGKILL: the next acquirer is told the owner died, and recovers")
    func holderKilled() async throws {
        let lock = try ProcessLock()
        let locked = try ProcessEvent()
        let state = try SharedArray<Int>(repeating: 7, count: 1)
        let holder = try WorkerProcess(target: HoldLockUntilKilled(lock: lock, locked: locked, state: state))
        try await holder.start()
        #expect(try await locked.wait(timeout: .seconds(20)))
        #expect(lock.tryLock() == nil)
        #expect(try await lock.lock(timeout: .milliseconds(100)) == nil)

        holder.kill()
        let started = ContinuousClock.now
        let acquisition = try await lock.lock()
        #expect(acquisition == .previousOwnerDied)
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(!lock.isConsistent)
        #expect(state[0] == -1)
        // Not repaired yet: the next acquirer is told too, and withLock refuses.
        lock.unlock()
        await #expect(throws: IPCError.previousOwnerDied) { try await lock.withLock {} }
        #expect(try await lock.lock() == .previousOwnerDied)
        state[0] = 7
        lock.markConsistent()
        lock.unlock()
        #expect(try await lock.lock() == .acquired)
        lock.unlock()
        #expect(try await lock.withLock { state[0] } == 7)
        _ = try await holder.join()
    }

    @Test("tryLock, timeouts, and cancellation of a waiting task")
    func timeoutsAndCancellation() async throws {
        let lock = try ProcessLock()
        #expect(lock.tryLock() == .acquired)
        #expect(lock.tryLock() == nil)
        let started = ContinuousClock.now
        #expect(try await lock.lock(timeout: .milliseconds(150)) == nil)
        #expect(ContinuousClock.now - started >= .milliseconds(140))

        let waiter = Task { try await lock.lock() }
        try await Task.sleep(for: .milliseconds(50))
        let cancelledAt = ContinuousClock.now
        waiter.cancel()
        // The lock is still held: only the cancellation can end this wait.
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // A watchdog against a wait that cancellation does not end, not a speed check (cancellation
        // wakes the waiter at once; on a loaded machine the wake-up alone has taken 0.7 s).
        #expect(ContinuousClock.now - cancelledAt < .seconds(10))

        // A waiter in this process gets it when it is unlocked.
        let next = Task { try await lock.lock() }
        try await Task.sleep(for: .milliseconds(30))
        lock.unlock()
        #expect(try await next.value == .acquired)
        #expect(lock.isLocked)
        // Any task of the holding process may unlock (the owner is the process).
        await Task.detached { lock.unlock() }.value
        #expect(!lock.isLocked)
    }

    @Test("a recursive lock: the holding task locks again; others wait, in this process and in another")
    func recursiveLock() async throws {
        let lock = try ProcessRecursiveLock()
        try await lock.lock()
        try await lock.lock()
        let other = Task { try await lock.lock(timeout: .milliseconds(100)) }
        #expect(try await other.value == nil)
        lock.unlock()
        let stillHeld = Task { try await lock.lock(timeout: .milliseconds(50)) }
        #expect(try await stillHeld.value == nil)
        lock.unlock()
        let free = Task { () -> ProcessLock.Acquisition? in
            let acquisition = try await lock.lock(timeout: .seconds(5))
            lock.unlock()
            return acquisition
        }
        #expect(try await free.value == .acquired)
        #expect(try await lock.withLock { try await lock.withLock { 42 } } == 42)

        let held = try ProcessEvent(), releaseOnce = try ProcessEvent()
        let releasedOnce = try ProcessEvent(), releaseAll = try ProcessEvent()
        let holder = try WorkerProcess(target: RecursiveHolder(
            lock: lock, held: held, releaseOnce: releaseOnce, releasedOnce: releasedOnce, releaseAll: releaseAll))
        try await holder.start()
        #expect(try await held.wait(timeout: .seconds(20)))
        #expect(try await lock.lock(timeout: .milliseconds(50)) == nil)
        releaseOnce.set()
        #expect(try await releasedOnce.wait(timeout: .seconds(20)))
        #expect(try await lock.lock(timeout: .milliseconds(50)) == nil)
        releaseAll.set()
        #expect(try await lock.lock(timeout: .seconds(20)) == .acquired)
        lock.unlock()
        #expect(try await holder.join() == .exited(0))
    }

    @Test("atomic operations on every integer width, and SharedValue")
    func atomicsAndValues() async throws {
        let bytes = try SharedArray<Int8>(count: 2)
        #expect(bytes.atomicWrappingAdd(127, at: 1) == (0, 127))
        #expect(bytes.atomicWrappingAdd(1, at: 1).newValue == -128)
        let halves = try SharedArray<UInt16>(repeating: 5, count: 3)
        #expect(halves.atomicCompareExchange(expected: 5, desired: 9, at: 2) == (true, 5))
        #expect(halves.atomicCompareExchange(expected: 5, desired: 1, at: 2) == (false, 9))
        let words = try SharedArray<Int32>([1, 2, 3])
        #expect(words.atomicExchange(-4, at: 0) == 1)
        #expect(words.toArray() == [-4, 2, 3])
        let longs = try SharedArray<UInt64>(count: 1)
        longs.atomicStore(.max, at: 0)
        #expect(longs.atomicWrappingAdd(2, at: 0).newValue == 1)
        #expect(longs.atomicWrappingSubtract(3, at: 0).newValue == UInt64.max - 1)

        let value = try SharedValue(10.5)
        try await value.withLock { $0 *= 2 }
        #expect(try await value.load() == 21)
        let count = try SharedValue<Int>(0)
        count.atomicWrappingAdd(5)
        #expect(count.atomicLoad() == 5)
        #expect(count.unsynchronizedValue == 5)
        let copy = try BinaryDecoder().decode(SharedValue<Int>.self, from: BinaryEncoder().encode(count))
        copy.atomicStore(8)
        #expect(count.atomicLoad() == 8)
    }
}
