import Foundation
import Testing
@testable import Multiprocessing

@Suite("IPC: semaphores, events, conditions and barriers")
struct IPCSyncTests {
    @Test("a semaphore of 2 bounds the section to 2 processes at once")
    func semaphoreBoundsConcurrency() async throws {
        let semaphore = try ProcessSemaphore(value: 2)
        let gauge = try SharedArray<Int>(count: 2)
        try await withProcessPool(workers: 4) { pool in
            let pids = try await pool.map(BoundedSection(semaphore: semaphore, gauge: gauge), Array(0..<16), chunkSize: 1)
            #expect(Set(pids).count > 2)
        }
        #expect(gauge[1] == 2)
        #expect(gauge[0] == 0)
        #expect(semaphore.value == 2)
    }

    @Test("semaphore values, timeouts, and a bounded semaphore refuses an extra release")
    func semaphoreBasics() async throws {
        let semaphore = try ProcessSemaphore(value: 1, maximum: 1)
        #expect(semaphore.maximum == 1)
        #expect(semaphore.tryAcquire())
        #expect(!semaphore.tryAcquire())
        #expect(try await !semaphore.acquire(timeout: .milliseconds(50)))
        try semaphore.release()
        #expect(throws: IPCError.releasedTooManyTimes) { try semaphore.release() }
        let unbounded = try ProcessSemaphore(value: 0)
        let waiter = Task { try await unbounded.acquire(timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(30))
        try unbounded.release(3)
        #expect(try await waiter.value)
        #expect(unbounded.value == 2)
        #expect(throws: IPCError.self) { try ProcessSemaphore(value: 2, maximum: 1) }
    }

    @Test("an event set in one process wakes the waiters in three others")
    func eventWakesOtherProcesses() async throws {
        let event = try ProcessEvent()
        let woke = try SharedArray<Int>(count: 1)
        let waiters = try (0..<3).map { _ in try WorkerProcess(target: AwaitEvent(event: event, woke: woke)) }
        for waiter in waiters { try await waiter.start() }
        try await Task.sleep(for: .milliseconds(300))
        #expect(woke.atomicLoad(at: 0) == 0)
        #expect(!event.isSet)
        event.set()
        for waiter in waiters { #expect(try await waiter.join() == .exited(0)) }
        #expect(woke.atomicLoad(at: 0) == 3)
        #expect(try await event.wait(timeout: .milliseconds(1)))
        event.clear()
        #expect(try await !event.wait(timeout: .milliseconds(50)))
    }

    @Test("notify wakes at most n waiters of other processes; notifyAll wakes the rest")
    func conditionNotify() async throws {
        let condition = try ProcessCondition()
        let counts = try SharedArray<Int>(count: 2)
        let waiters = try (0..<3).map { _ in try WorkerProcess(target: AwaitCondition(condition: condition, counts: counts)) }
        for waiter in waiters { try await waiter.start() }
        // Each waiter counts itself under the lock and then waits, which releases it: once the
        // lock shows 3, all three wait.
        #expect(await eventually(timeout: .seconds(20)) { counts.atomicLoad(at: 0) == 3 })
        try await condition.withLock { try condition.notify() }
        #expect(await eventually { counts.atomicLoad(at: 1) == 1 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(counts.atomicLoad(at: 1) == 1)
        try await condition.withLock { try condition.notifyAll() }
        for waiter in waiters { #expect(try await waiter.value) }
        #expect(counts.atomicLoad(at: 1) == 3)

        // Waiting or notifying without the lock is refused; a wait times out.
        await #expect(throws: IPCError.lockNotHeld) { try await condition.wait() }
        #expect(throws: IPCError.lockNotHeld) { try condition.notify() }
        let notified = try await condition.withLock { try await condition.wait(timeout: .milliseconds(50)) }
        #expect(!notified)
    }

    @Test("wait(for:) in another process returns once the predicate holds")
    func conditionPredicate() async throws {
        let condition = try ProcessCondition()
        let flag = try SharedArray<Int>(count: 2)
        let waiter = try WorkerProcess(target: AwaitPredicate(condition: condition, flag: flag))
        try await waiter.start()
        try await Task.sleep(for: .milliseconds(200))
        try await condition.withLock {
            flag[1] = 42
            try condition.notifyAll()  // the predicate is still false: the waiter waits again
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(waiter.isRunning)
        try await condition.withLock {
            flag[0] = 1
            try condition.notifyAll()
        }
        #expect(try await waiter.value == 42)
    }

    @Test("a barrier of 4: the parent and 3 workers, through 50 rounds")
    func barrierOfFour() async throws {
        let rounds = 50
        let barrier = try ProcessBarrier(parties: 4)
        let arrivals = try SharedArray<Int>(count: rounds + 1)
        let target = BarrierRounds(barrier: barrier, arrivals: arrivals, rounds: rounds)
        let workers = try (0..<3).map { _ in try WorkerProcess(target: target) }
        for worker in workers { try await worker.start() }
        let mine = try await target.run()
        var indices = [mine]
        for worker in workers { indices.append(try await worker.value) }
        #expect(arrivals[rounds] == 0, "a party passed a round before all had arrived")
        for round in 0..<rounds {
            #expect(Set(indices.map { $0[round] }) == [0, 1, 2, 3])
            #expect(arrivals[round] == 4)
        }
    }

    @Test("a barrier breaks on a timeout, refuses waits until reset, and works again after")
    func barrierBreaksAndResets() async throws {
        let barrier = try ProcessBarrier(parties: 2)
        await #expect(throws: IPCError.brokenBarrier) { try await barrier.wait(timeout: .milliseconds(50)) }
        #expect(barrier.isBroken)
        await #expect(throws: IPCError.brokenBarrier) { try await barrier.wait() }
        barrier.reset()
        #expect(!barrier.isBroken)
        async let first = barrier.wait(timeout: .seconds(10))
        let second = try await barrier.wait(timeout: .seconds(10))
        #expect(Set([try await first, second]) == [0, 1])

        let waiter = Task { try await barrier.wait() }
        #expect(await eventually { barrier.waitingCount == 1 })
        barrier.abort()
        await #expect(throws: IPCError.brokenBarrier) { try await waiter.value }
        barrier.reset()
        let cancelled = Task { try await barrier.wait() }
        #expect(await eventually { barrier.waitingCount == 1 })
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(barrier.isBroken)
    }
}
