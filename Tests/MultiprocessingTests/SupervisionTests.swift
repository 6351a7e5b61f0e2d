import Foundation
import Testing
@testable import Multiprocessing

@Suite("Supervision")
struct SupervisionTests {
    // MARK: Timeouts

    @Test("an item over its timeout fails, its worker is killed and replaced, and the map returns on time")
    func timeouts() async throws {
        try await withProcessPool(workers: 2) { pool in
            let clock = ContinuousClock()
            let start = clock.now
            let job = Sleepy(milliseconds: [1: 60_000, 4: 60_000])
            let results = try await pool.mapResults(job, Array(0..<8), chunkSize: 1, timeout: .milliseconds(500))
            let elapsed = clock.now - start
            #expect(elapsed < .seconds(10), "the map returned after \(elapsed)")
            for (index, result) in results.enumerated() {
                if index == 1 || index == 4 {
                    guard case let .failure(failure) = result else {
                        Issue.record("item \(index) should have timed out")
                        continue
                    }
                    #expect(failure.reason == .timedOut(.milliseconds(500)))
                    #expect(failure.index == index)
                } else {
                    #expect((try? result.get()) == index)
                }
            }
            #expect(await pool.statistics().timeouts == 2)
            #expect(try await pool.apply(Square(), 5) == 25)
        }
    }

    @Test("the pool's default timeout applies, and apply and handles time out too")
    func defaultTimeout() async throws {
        try await withProcessPool(workers: 1, options: .init(timeout: .milliseconds(300))) { pool in
            do {
                _ = try await pool.apply(Sleepy(defaultMilliseconds: 60_000), 1)
                Issue.record("should have timed out")
            } catch let failure as JobFailure {
                #expect(failure.reason == .timedOut(.milliseconds(300)))
            }
            let handle = try pool.submit(Sleepy(defaultMilliseconds: 60_000), 2, timeout: .milliseconds(200))
            await #expect(throws: JobFailure.self) { try await handle.value }
            #expect(try await pool.apply(Sleepy(defaultMilliseconds: 10), 3) == 3)
        }
    }

    // MARK: Cancellation

    @Test("cancelling a map stops its queued work at once and kills its running items; other callers go on")
    func cancelMap() async throws {
        let directory = try temporaryDirectory("cancel-map")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withProcessPool(workers: 2) { pool in
            let other = Task { try await pool.map(Sleepy(defaultMilliseconds: 20), Array(0..<40), chunkSize: 1) }
            // Each item notes its worker's pid when it starts, then sleeps a minute.
            let sleeper = Crasher(mode: .sigkillFromOutside, bad: Set(0..<100), pidDirectory: directory)
            let doomed = Task { try await pool.map(sleeper, Array(0..<100), chunkSize: 1) }
            var running: [Int32] = []
            #expect(await eventually(timeout: .seconds(20)) {
                running = pidsWritten(to: directory)
                return !running.isEmpty
            })
            let clock = ContinuousClock()
            let start = clock.now
            doomed.cancel()
            await #expect(throws: CancellationError.self) { try await doomed.value }
            #expect(clock.now - start < .seconds(15), "the running items (60 s) were stopped, not waited for")
            #expect(await eventually { running.allSatisfy { !isAlive($0) } }, "the workers running it were killed")
            let otherOutputs = try await other.value
            #expect(otherOutputs == Array(0..<40), "the other caller is unaffected")
            #expect(pidsWritten(to: directory).count <= 4, "queued items never started")
            #expect(try await pool.apply(Square(), 6) == 36)
        }
    }

    @Test("cancelling an imap loop or an apply stops its work")
    func cancelStreamAndApply() async throws {
        try await withProcessPool(workers: 2) { pool in
            let loop = Task {
                var seen = 0
                for try await _ in try pool.imapUnordered(Sleepy(defaultMilliseconds: 30_000), 0..<1000) { seen += 1 }
                return seen
            }
            let apply = Task { try await pool.apply(Sleepy(defaultMilliseconds: 30_000), 1) }
            try await Task.sleep(for: .milliseconds(300))
            let clock = ContinuousClock()
            let start = clock.now
            loop.cancel()
            apply.cancel()
            await #expect(throws: CancellationError.self) { try await loop.value }
            await #expect(throws: CancellationError.self) { try await apply.value }
            #expect(clock.now - start < .seconds(15), "the running item (30 s or more) was stopped, not waited for")
            #expect(try await pool.map(Square(), [1, 2]) == [1, 4])
        }
    }

    @Test("graceful cancellation lets running items finish and keeps the workers")
    func gracefulCancel() async throws {
        let options = ProcessPool.Options(cancellation: .letRunningFinish)
        try await withProcessPool(workers: 2, options: options) { pool in
            let before = Set(await startedWorkers(pool, count: 2))
            let doomed = Task { try await pool.map(Sleepy(defaultMilliseconds: 400), Array(0..<50), chunkSize: 1) }
            try await Task.sleep(for: .milliseconds(200))
            doomed.cancel()
            await #expect(throws: CancellationError.self) { try await doomed.value }
            #expect(try await pool.apply(Square(), 7) == 49)
            #expect(Set(await pool.workerPIDs()) == before, "no worker was killed")
            let statistics = await pool.statistics()
            #expect(statistics.tasksCompleted < 50 + 8 + 1, "queued items were dropped")
        }
    }

    // MARK: Retries

    @Test("retries re-run an item after a crash; the last error lists every attempt")
    func retries() async throws {
        let directory = try temporaryDirectory("retries")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withProcessPool(workers: 2) { pool in
            let outputs = try await pool.map(CrashOnce(directory: directory), Array(0..<6), chunkSize: 2, retries: 1)
            #expect(outputs == Array(0..<6))
            #expect(await pool.statistics().retries == 6)

            try FileManager.default.createDirectory(atPath: directory + "-type", withIntermediateDirectories: true)
            let byType = try await pool.map(CrashOnceRetriedByType(directory: directory + "-type"), [1, 2])
            #expect(byType == [1, 2])

            do {
                _ = try await pool.apply(AlwaysAbort(), 1, retries: 2)
                Issue.record("should have failed")
            } catch let failure as JobFailure {
                #expect(failure.attempts.count == 3)
                #expect(failure.attempts.allSatisfy { $0 == .crashed(.signaled(SIGABRT)) })
                #expect(failure.description.contains("earlier attempts"))
            }
        }
        try? FileManager.default.removeItem(atPath: directory + "-type")
    }

    // MARK: Limits and recycling

    @Test("a worker is replaced after maxTasksPerWorker tasks")
    func maxTasksPerWorker() async throws {
        try await withProcessPool(workers: 1, options: .init(maxTasksPerWorker: 2)) { pool in
            var pids: [Int32] = []
            for index in 0..<6 { pids.append(try await pool.apply(WhoAmI(), index)) }
            #expect(Set(pids).count == 3, "pids: \(pids)")
            #expect(pids[0] == pids[1] && pids[2] == pids[3] && pids[4] == pids[5])
            #expect(await pool.statistics().workersRecycled >= 2)
        }
    }

    @Test("a worker whose memory grows past the bound is replaced between tasks")
    func recycleByMemory() async throws {
        try await withProcessPool(workers: 1, options: .init(recycleAboveResidentBytes: 200 << 20)) { pool in
            var pids: [Int32] = []
            for index in 0..<8 { pids.append(try await pool.apply(Leaky(), index)) }
            #expect(Set(pids).count >= 2, "pids: \(pids)")
            #expect(await pool.statistics().workersRecycled >= 1)
        }
    }

    // MARK: Crash loops

    @Test("an initializer that throws or traps fails the pool's work fast with a clear error",
          arguments: [false, true])
    func initializerFailure(traps: Bool) async throws {
        let initializer: any ProcessTarget = traps ? TrappingInitializer() : ThrowingInitializer()
        let pool = try ProcessPool(workers: 2, options: .init(initializer: initializer))
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await pool.map(Square(), [1, 2, 3])
            Issue.record("should have failed")
        } catch let failure as JobFailure {
            guard case let .workerStartFailed(text) = failure.reason else {
                Issue.record("wrong reason: \(failure.reason)")
                return
            }
            #expect(text.contains("workers keep dying at start-up"))
            #expect(text.contains(traps ? "initializer trap" : "rejected"), "\(text)")
        }
        #expect(clock.now - start < .seconds(10))
        await #expect(throws: JobFailure.self) { try await pool.apply(Square(), 1) }
        await pool.terminate()
    }

    @Test("a job that kills every worker it touches fails each item and does not make the pool spin")
    func everyItemCrashes() async throws {
        try await withProcessPool(workers: 2) { pool in
            let results = try await pool.mapResults(AlwaysAbort(), Array(0..<40), chunkSize: 4)
            #expect(results.count == 40)
            for case let .success(value) in results { Issue.record("item succeeded: \(value)") }
            let statistics = await pool.statistics()
            #expect(statistics.workerCrashes == 40)
            #expect(statistics.workersStarted <= 2 + 40)
            #expect(try await pool.apply(Square(), 2) == 4)
        }
    }

    // MARK: Bad input

    @Test("a worker that writes garbage on its channel costs one item, with a clear error",
          arguments: [GarbageWriter.Kind.unknownKind, .oversized, .truncatedThenExit, .undecodableResults])
    func garbageFromWorker(kind: GarbageWriter.Kind) async throws {
        try await withProcessPool(workers: 2) { pool in
            let results = try await pool.mapResults(GarbageWriter(kind: kind), Array(0..<8), chunkSize: 1)
            for (index, result) in results.enumerated() where index != 3 {
                #expect((try? result.get()) == index)
            }
            guard case let .failure(failure) = results[3] else {
                Issue.record("item 3 should have failed")
                return
            }
            // Even the truncated frame followed by exit(0): its bytes are more than the worker
            // announced writing, so the stray write is named, not the exit.
            guard case let .protocolViolation(text) = failure.reason else {
                Issue.record("unexpected reason \(failure.reason)")
                return
            }
            if kind == .truncatedThenExit { #expect(text.contains("did not write"), "\(text)") }
            #expect(try await pool.apply(Square(), 3) == 9)
        }
    }

    @Test("an input that cannot be decoded and an output that cannot be encoded fail their items")
    func undecodableValues() async throws {
        try await withProcessPool(workers: 1) { pool in
            let inputs = try await pool.mapResults(TakesUnreadable(), [Unreadable(), Unreadable()])
            for result in inputs {
                guard case let .failure(failure) = result, case let .codingFailed(text) = failure.reason else {
                    Issue.record("expected a coding failure, got \(result)")
                    continue
                }
                #expect(text.contains("Refused"))
            }
            do {
                _ = try await pool.apply(ReturnsUnwritable(), 1)
                Issue.record("should have failed")
            } catch let failure as JobFailure {
                guard case .codingFailed = failure.reason else {
                    Issue.record("wrong reason \(failure.reason)")
                    return
                }
            }
            #expect(try await pool.apply(Square(), 8) == 64)
        }
    }

    // MARK: Hygiene

    @Test("workers inherit no descriptor but their channel and standard streams")
    func inheritedDescriptors() async throws {
        // Descriptors a careless parent leaves open across exec.
        let path = try temporaryDirectory("fds") + "/leak.txt"
        let file = open(path, O_CREAT | O_RDWR, 0o600)
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        defer {
            close(file); close(pipeEnds[0]); close(pipeEnds[1])
            try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
        }
        try await withProcessPool(workers: 1) { pool in
            let table = try await pool.apply(ListDescriptors(), 0)
            #expect(table["0"] == "/dev/null")
            #expect(table["2"]?.hasPrefix("pipe:") == true)
            // The channel, moved out of the way of the low descriptors a job uses.
            let sockets = table.filter { $0.value.hasPrefix("socket:") }
            #expect(sockets.count == 1 && sockets.keys.allSatisfy { (Int($0) ?? 0) >= 16 }, "\(table)")
            #expect(!table.values.contains(path), "the parent's file leaked: \(table)")
            let leakedPipes = table.filter { (Int($0.key) ?? 0) > 2 && $0.value.hasPrefix("pipe:") }
            #expect(leakedPipes.isEmpty, "pipes leaked: \(table)")
            // Descriptors 3 and 4, where the channel and the status page were born, hold /dev/null.
            #expect(table["3"] == "/dev/null" && table["4"] == "/dev/null", "\(table)")
            for (fd, target) in table where (Int(fd) ?? 0) > 4 && !target.hasPrefix("socket:") {
                // What the worker's own runtime opens (Dispatch's epoll and eventfds, the listing itself).
                #expect(target.hasPrefix("anon_inode:") || target.hasPrefix("/proc/"), "fd \(fd) -> \(target)")
            }
        }
    }
}
