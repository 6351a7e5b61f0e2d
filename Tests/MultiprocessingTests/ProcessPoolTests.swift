import Foundation
import Testing
@testable import Multiprocessing

@Suite("ProcessPool")
struct ProcessPoolTests {
    @Test("map over 10,000 items is correct and in input order")
    func mapTenThousand() async throws {
        try await withProcessPool(workers: 2) { pool in
            let inputs = Array(0..<10_000)
            let outputs = try await pool.map(Square(), inputs)
            #expect(outputs == inputs.map { $0 * $0 })
        }
    }

    @Test("map honours chunk sizes, including 1 and more than the input")
    func mapChunkSizes() async throws {
        try await withProcessPool(workers: 2) { pool in
            let inputs = Array(-50..<50)
            let squares = inputs.map { $0 * $0 }
            for chunkSize in [1, 3, 7, 100, 1000] {
                let outputs = try await pool.map(Square(), inputs, chunkSize: chunkSize)
                #expect(outputs == squares, "chunk size \(chunkSize)")
            }
            let none = try await pool.map(Square(), [Int]())
            #expect(none == [])
            await #expect(throws: ProcessPoolError.invalidArgument("chunk size must be at least 1, not 0")) {
                try await pool.map(Square(), [1], chunkSize: 0)
            }
        }
    }

    @Test("the default chunk size follows Python: ceil(n / (4 * workers))")
    func defaultChunkSize() async throws {
        try await withProcessPool(workers: 2) { pool in
            #expect(pool.defaultChunkSize(items: 1_000_000) == 125_000)
            #expect(pool.defaultChunkSize(items: 9) == 2)
            #expect(pool.defaultChunkSize(items: 0) == 1)
        }
    }

    @Test("map carries structs, strings, dictionaries and optionals both ways")
    func mapStructs() async throws {
        try await withProcessPool(workers: 2) { pool in
            let records = (0..<300).map { index in
                Record(id: index, name: "r\(index) ✓", scores: [Double(index), 0.5], tags: ["k\(index)": index],
                       parent: index % 3 == 0 ? nil : index - 1)
            }
            let outputs = try await pool.map(Summarize(prefix: "sum:"), records, chunkSize: 16)
            #expect(outputs.count == records.count)
            for (input, output) in zip(records, outputs) {
                #expect(output.name == "sum:" + input.name)
                #expect(output.scores == [input.scores.reduce(0, +)])
                #expect(output.tags == input.tags && output.parent == input.parent && output.id == input.id)
            }
            #expect(try await pool.map(Echo<String?>(), ["a", nil, "ü"]) == ["a", nil, "ü"])
        }
    }

    @Test("imap yields in input order although later items finish first")
    func imapOrder() async throws {
        try await withProcessPool(workers: 2) { pool in
            // Item 0 is slow: everything after it finishes first, yet comes out after it.
            let job = Sleepy(milliseconds: [0: 300])
            var seen: [Int] = []
            for try await value in try pool.imap(job, 0..<40) { seen.append(value) }
            #expect(seen == Array(0..<40))
        }
    }

    @Test("imapUnordered delivers early results before slow ones finish")
    func imapUnorderedEarlyResults() async throws {
        try await withProcessPool(workers: 2) { pool in
            // Item 0 sleeps 1.5 s; the others finish at once. Each reports when it finished (one
            // monotonic clock for all processes), so the check does not depend on when this
            // test's task gets a thread on a loaded machine.
            var arrivals: [StampedValue] = []
            for try await value in try pool.imapUnordered(Stamped(milliseconds: [0: 1500]), 0..<20) {
                arrivals.append(value)
            }
            #expect(Set(arrivals.map(\.value)) == Set(0..<20))
            let first = arrivals.map(\.finishedAt).min() ?? 0
            let timeline = arrivals.map { "\($0.value)@\(($0.finishedAt - first) / 1_000_000)ms" }
            #expect(arrivals.last?.value == 0, "the slow item arrives last: \(timeline)")
            let slow = try #require(arrivals.first { $0.value == 0 })
            let fast = arrivals.filter { $0.value != 0 }
            #expect(fast.allSatisfy { $0.finishedAt < slow.finishedAt },
                    "no fast item waited behind the slow one")
        }
    }

    @Test("imap over an async sequence, and chunked streams")
    func imapAsyncInput() async throws {
        try await withProcessPool(workers: 2) { pool in
            let (stream, continuation) = AsyncStream<Int>.makeStream()
            Task {
                for value in 0..<100 { continuation.yield(value) }
                continuation.finish()
            }
            var seen: [Int] = []
            for try await value in try pool.imap(Square(), stream, chunkSize: 7) { seen.append(value) }
            #expect(seen == (0..<100).map { $0 * $0 })

            var unordered: [Int] = []
            for try await value in try pool.imapUnordered(Square(), 0..<1000, chunkSize: 13) { unordered.append(value) }
            #expect(unordered.sorted() == (0..<1000).map { $0 * $0 })
        }
    }

    @Test("a stream reads its input only as fast as it is consumed")
    func streamBackpressure() async throws {
        try await withProcessPool(workers: 2) { pool in
            let counter = ReadCounter()
            let inputs = CountingSequence(limit: 1_000_000, counter: counter)
            var iterator = try pool.imap(Square(), inputs).makeAsyncIterator()
            for expected in 0..<10 {
                #expect(try await iterator.next() == expected * expected)
            }
            try await Task.sleep(for: .milliseconds(300))
            let read = counter.value
            #expect(read < 1_000_000 / 10, "read \(read) inputs for 10 consumed")
            #expect(read <= pool.streamWindow(chunkSize: 1) + 100)
        }
    }

    @Test("leaving a stream early stops its work")
    func streamEarlyExit() async throws {
        try await withProcessPool(workers: 2) { pool in
            var count = 0
            for try await _ in try pool.imapUnordered(Sleepy(defaultMilliseconds: 5), 0..<100_000) {
                count += 1
                if count == 5 { break }
            }
            #expect(count == 5)
            // The pool is free again at once.
            #expect(try await pool.apply(Square(), 9) == 81)
        }
    }

    @Test("imapResults and imapUnorderedResults yield failures and go on")
    func resultStreams() async throws {
        try await withProcessPool(workers: 2) { pool in
            var ordered: [Result<Int, JobFailure>] = []
            for try await result in try pool.imapResults(FailSome(failing: [2, 7]), 0..<10, chunkSize: 3) {
                ordered.append(result)
            }
            #expect(ordered.count == 10)
            for (index, result) in ordered.enumerated() {
                switch result {
                case let .success(value): #expect(value == index && ![2, 7].contains(index))
                case let .failure(failure): #expect([2, 7].contains(index) && failure.index == index)
                }
            }
            var seen = Set<Int>(), failed = Set<Int>()
            for try await result in try pool.imapUnorderedResults(AlwaysAbortOn(bad: [4]), 0..<20) {
                switch result {
                case let .success(value): seen.insert(value)
                case let .failure(failure): failed.insert(failure.index ?? -1)
                }
            }
            #expect(seen == Set(0..<20).subtracting([4]))
            #expect(failed == [4])
        }
    }

    @Test("a ProgressReporter counts what map and streams finish, failures included")
    func progress() async throws {
        let snapshots = SnapshotLog()
        try await withProcessPool(workers: 2) { pool in
            let reporter = ProgressReporter(total: 50, label: "squares", output: .custom(interval: .zero) { snapshots.append($0) })
            _ = try await pool.mapResults(FailSome(failing: [10, 20]), Array(0..<50), chunkSize: 5, progress: reporter)
            reporter.finish()
            let last = try #require(snapshots.all.last)
            #expect(last.done == 50 && last.failed == 2 && last.total == 50)
            #expect(last.line.hasPrefix("squares  50/50  100%"))
            #expect(last.line.hasSuffix("2 failed"))

            let streamed = ProgressReporter(label: "stream", output: .custom(interval: .seconds(3600)) { _ in })
            for try await _ in try pool.imapUnordered(Square(), 0..<30, progress: streamed) {}
            #expect(streamed.snapshot.done == 30 && streamed.snapshot.total == nil)
        }
    }

    @Test("apply runs one call; submit returns a handle to await later")
    func applyAndSubmit() async throws {
        try await withProcessPool(workers: 2) { pool in
            #expect(try await pool.apply(Square(), 12) == 144)
            let handle = try pool.submit(Sleepy(defaultMilliseconds: 200), 5)
            #expect(!handle.isFinished)
            #expect(try await handle.value == 5)
            #expect(handle.isFinished)
            let asyncHandle = try pool.applyAsync(Square(), 3)
            #expect(try await asyncHandle.value == 9)
            #expect(try await pool.apply(ReturnsText(text: "hi")) == "HI")
            try await pool.apply(NoOutput())
        }
    }

    @Test("a handle can be cancelled")
    func cancelHandle() async throws {
        try await withProcessPool(workers: 1) { pool in
            let handle = try pool.submit(Sleepy(defaultMilliseconds: 60_000), 1)
            try await Task.sleep(for: .milliseconds(200))
            let clock = ContinuousClock()
            let start = clock.now
            handle.cancel()
            await #expect(throws: CancellationError.self) { try await handle.value }
            #expect(clock.now - start < .seconds(15), "the running item (30 s or more) was stopped, not waited for")
            #expect(try await pool.apply(Square(), 4) == 16)
        }
    }

    @Test("8 concurrent callers on one pool get their own results")
    func concurrentCallers() async throws {
        try await withProcessPool(workers: 2) { pool in
            try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
                for caller in 0..<8 {
                    group.addTask {
                        let inputs = Array((caller * 1000)..<(caller * 1000 + 500))
                        if caller % 2 == 0 {
                            return (caller, try await pool.map(Square(), inputs, chunkSize: 10 + caller))
                        }
                        var outputs: [Int] = []
                        for try await value in try pool.imap(Square(), inputs, chunkSize: caller) { outputs.append(value) }
                        return (caller, outputs)
                    }
                }
                for try await (caller, outputs) in group {
                    let inputs = Array((caller * 1000)..<(caller * 1000 + 500))
                    #expect(outputs == inputs.map { $0 * $0 }, "caller \(caller)")
                }
            }
        }
    }

    @Test("an error thrown in a job arrives with its type, message, job and index")
    func thrownError() async throws {
        try await withProcessPool(workers: 2) { pool in
            do {
                _ = try await pool.map(FailSome(failing: [37]), Array(0..<100), chunkSize: 10)
                Issue.record("map should have thrown")
            } catch let failure as JobFailure {
                #expect(failure.reason == .threw(errorType: "MultiprocessingTests.TestJobError", message: "rejected 37"))
                #expect(failure.jobType == "MultiprocessingTests.FailSome")
                #expect(failure.index == 37)
                #expect(failure.workerPID != nil)
            }
            let results = try await pool.mapResults(FailSome(failing: [3, 5]), Array(0..<8), chunkSize: 3)
            #expect(results.count == 8)
            for (index, result) in results.enumerated() {
                switch result {
                case let .success(value):
                    #expect(![3, 5].contains(index) && value == index)
                case let .failure(failure):
                    #expect([3, 5].contains(index) && failure.index == index)
                }
            }
            await #expect(throws: JobFailure.self) { try await pool.apply(ThrowsTarget()) }
            // The pool is still usable.
            #expect(try await pool.map(Square(), [2, 3]) == [4, 9])
        }
    }

    @Test("a job that prints a lot does not corrupt results")
    func printingJob() async throws {
        try await withProcessPool(workers: 2) { pool in
            let outputs = try await pool.map(Chatty(lines: 300), Array(0..<40), chunkSize: 1)
            #expect(outputs == Array(0..<40))
        }
    }

    @Test("a job type declared inside a function is rejected at submit time")
    func unresolvableJobType() async throws {
        struct Local: Job {
            func run(_ x: Int) async throws -> Int { x }
        }
        try await withProcessPool(workers: 1) { pool in
            do {
                _ = try await pool.map(Local(), [1])
                Issue.record("map should have thrown")
            } catch let error as ProcessPoolError {
                guard case let .unresolvableJobType(name, reason) = error else {
                    Issue.record("wrong error \(error)")
                    return
                }
                #expect(name.contains("Local"))
                #expect(reason.contains("file scope"))
            }
            #expect(throws: ProcessPoolError.self) { try pool.submit(Local(), 1) }
        }
    }

    @Test("an initializer runs in every worker and jobs reach its state")
    func initializer() async throws {
        let options = ProcessPool.Options(initializer: SetGreeting(text: "hello"))
        try await withProcessPool(workers: 2, options: options) { pool in
            let greetings = try await pool.map(ReadGreeting(), [1, 2, 3], chunkSize: 1)
            #expect(greetings == ["hello 1", "hello 2", "hello 3"])
        }
        // Without an initializer, the job says what is missing.
        try await withProcessPool(workers: 1) { pool in
            do {
                _ = try await pool.apply(ReadGreeting(), 1)
                Issue.record("should have thrown")
            } catch let failure as JobFailure {
                guard case let .threw(type, message) = failure.reason else {
                    Issue.record("wrong reason \(failure.reason)")
                    return
                }
                #expect(type == "Multiprocessing.WorkerStateError")
                #expect(message.contains("Greeting"))
            }
        }
    }

    @Test("closing twice, joining before closing and submitting after closing are clear errors")
    func lifecycleErrors() async throws {
        let pool = try ProcessPool(workers: 1)
        await #expect(throws: ProcessPoolError.notClosed) { try await pool.join() }
        try pool.close()
        #expect(throws: ProcessPoolError.alreadyClosed) { try pool.close() }
        await #expect(throws: ProcessPoolError.closed) { try await pool.map(Square(), [1]) }
        #expect(throws: ProcessPoolError.closed) { try pool.submit(Square(), 1) }
        #expect(throws: ProcessPoolError.closed) { try pool.imap(Square(), [1]) }
        try await pool.join()
        #expect(throws: ProcessPoolError.invalidArgument("a pool needs at least one worker, not 0")) {
            try ProcessPool(workers: 0)
        }
    }

    @Test("close lets queued work finish, then join leaves no child process")
    func closeFinishesQueuedWork() async throws {
        let pool = try ProcessPool(workers: 2)
        let pids = await startedWorkers(pool, count: 2)
        #expect(pids.count == 2)
        let handles = try (0..<6).map { try pool.submit(Sleepy(defaultMilliseconds: 100), $0) }
        try pool.close()
        try await pool.join()
        for (index, handle) in handles.enumerated() {
            #expect(try await handle.value == index)
        }
        for pid in pids { #expect(!isChildEntry(pid), "worker \(pid) still exists") }
    }

    @Test("terminate stops running work at once and leaves no child process")
    func terminateStopsWork() async throws {
        let pool = try ProcessPool(workers: 2)
        let pids = await startedWorkers(pool, count: 2)
        let handle = try pool.submit(Sleepy(defaultMilliseconds: 30_000), 1)
        try await Task.sleep(for: .milliseconds(100))
        let clock = ContinuousClock()
        let start = clock.now
        await pool.terminate()
        #expect(clock.now - start < .seconds(15), "the running item (30 s or more) was stopped, not waited for")
        do {
            _ = try await handle.value
            Issue.record("should have failed")
        } catch let failure as JobFailure {
            #expect(failure.reason == .poolTerminated)
        }
        for pid in pids { #expect(!isChildEntry(pid), "worker \(pid) still exists") }
    }

    @Test("withProcessPool shuts the pool down, also when its body throws")
    func scopedPool() async throws {
        var pids: [Int32] = []
        try await withProcessPool(workers: 2) { pool in
            pids = await startedWorkers(pool, count: 2)
        }
        for pid in pids { #expect(!isChildEntry(pid)) }

        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await withProcessPool(workers: 2) { pool in
                pids = await startedWorkers(pool, count: 2)
                throw Boom()
            }
        }
        for pid in pids { #expect(!isChildEntry(pid)) }
    }

    @Test("a released pool's workers exit")
    func releasedPool() async throws {
        var pool: ProcessPool? = try ProcessPool(workers: 2)
        let pids = await startedWorkers(pool!, count: 2)
        pool = nil
        #expect(await eventually { pids.allSatisfy { !isChildEntry($0) } })
    }

    @Test("the default width is the CPUs this process may use")
    func defaultWidth() async throws {
        let pool = try ProcessPool()
        #expect(pool.workerCount == ProcessPool.availableCPUs)
        #expect(pool.workerCount >= 1)
        await pool.terminate()
    }
}

final class SnapshotLog: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var snapshots: [ProgressReporter.Snapshot] = []
    var all: [ProgressReporter.Snapshot] { lock.withLock { snapshots } }
    func append(_ snapshot: ProgressReporter.Snapshot) { lock.withLock { snapshots.append(snapshot) } }
}

/// Counts how far a sequence was read.
final class ReadCounter: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}

struct CountingSequence: Sequence, Sendable {
    let limit: Int
    let counter: ReadCounter

    func makeIterator() -> AnyIterator<Int> {
        var next = 0
        return AnyIterator {
            guard next < limit else { return nil }
            counter.increment()
            defer { next += 1 }
            return next
        }
    }
}
