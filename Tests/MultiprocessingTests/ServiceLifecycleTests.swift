#if ServiceLifecycle
import Logging
import Multiprocessing
import MultiprocessingServiceLifecycle
import ServiceLifecycle
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A service that uses the pool: it starts a map of slow items, notes the pool's workers, and
/// finishes its map even when the group is already shutting down.
struct SquaresService: Service {
    final class Seen: Sendable {
        let workers = Mutex<[Int32]>([])
        let outputs = Mutex<[Int]?>(nil)
    }

    let pool: ProcessPool
    let seen: Seen

    func run() async throws {
        async let outputs = pool.map(Sleepy(defaultMilliseconds: 100), Array(0..<10), chunkSize: 1)
        let workers = await pool.workerPIDs()
        seen.workers.withLock { $0 = workers }
        let done = try await outputs
        seen.outputs.withLock { $0 = done }
        try? await gracefulShutdown()
    }
}

@Suite("Service lifecycle", .timeLimit(.minutes(2)))
struct ServiceLifecycleTests {
    @Test("in a ServiceGroup, graceful shutdown lets the pool's users finish, then closes the pool and reaps every worker")
    func gracefulShutdownClosesThePool() async throws {
        let pool = try ProcessPool(workers: 2)
        let seen = SquaresService.Seen()
        let group = ServiceGroup(services: [ProcessPoolService(pool), SquaresService(pool: pool, seen: seen)],
                                 logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        while seen.workers.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(seen.outputs.withLock { $0 } == Array(0..<10), "the map begun before the shutdown completed")
        for pid in seen.workers.withLock({ $0 }) {
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "worker \(pid) is gone and reaped")
        }
        #expect(throws: (any Error).self, "a closed pool takes no new work") { try pool.submit(Square(), 2) }
    }

    @Test("cancelled instead, the service terminates the pool: a running item's worker is killed")
    func cancellationTerminatesThePool() async throws {
        let pool = try ProcessPool(workers: 1)
        let handle = try pool.submit(Sleepy(defaultMilliseconds: 60_000), 1)
        let group = ServiceGroup(services: [ProcessPoolService(pool)], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        var workers: [Int32] = []
        while workers.isEmpty { workers = await pool.workerPIDs(); try await Task.sleep(for: .milliseconds(5)) }
        running.cancel()
        _ = await running.result
        await #expect(throws: (any Error).self, "the sleeping item did not finish") { try await handle.value }
        for pid in workers {
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "worker \(pid) was killed and reaped")
        }
    }
}
#endif  // ServiceLifecycle
