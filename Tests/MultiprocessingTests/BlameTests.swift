import Foundation
import Testing
@testable import Multiprocessing

/// Whatever a job does to its worker, exactly the item that did it is charged: it runs
/// 1 + retries times, nobody else fails, and delivered results are not computed again.
@Suite("Exact blame")
struct BlameTests {
    /// A map of `count` items where `bad` damage their worker, as slow items (2 ms each) one per
    /// task: the blame is exact from the first run.
    private func vandalMap(_ vandalism: Vandalism, retries: Int, count: Int = 24, bad: Set<Int> = [5, 17],
                           chunkSize: Int = 1, micros: UInt32 = 2000)
        async throws -> (results: [Result<Int, JobFailure>], runs: [Int]) {
        let directory = try temporaryDirectory("vandal-\(vandalism)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await withProcessPool(workers: 2) { pool in
            let job = Vandal(vandalism: vandalism, bad: bad, runLog: directory, micros: micros)
            let results = try await pool.mapResults(job, Array(0..<count), chunkSize: chunkSize, retries: retries)
            #expect(try await pool.apply(Square(), 7) == 49, "the pool goes on")
            return (results, runCounts(0..<count, in: directory))
        }
    }

    @Test("a job that damages its worker's channel, or exits, is charged exactly: 1 + retries runs, nobody else",
          arguments: [Vandalism.closeSockets, .replaceSockets, .exitZero], [0, 2])
    func exactBlame(_ vandalism: Vandalism, retries: Int) async throws {
        let bad: Set<Int> = [5, 17]
        let (results, runs) = try await vandalMap(vandalism, retries: retries, bad: bad)
        #expect(results.count == 24)
        for (index, result) in results.enumerated() {
            if bad.contains(index) {
                guard case let .failure(failure) = result else {
                    Issue.record("item \(index) damaged its worker and should have failed")
                    continue
                }
                #expect(failure.index == index)
                #expect(failure.earlierAttempts.count == retries)
                switch vandalism {
                case .exitZero:
                    #expect(failure.reason == .crashed(.exited(0)))
                default:
                    guard case let .protocolViolation(text) = failure.reason else {
                        Issue.record("item \(index): \(failure.reason)")
                        continue
                    }
                    #expect(text.contains("channel"), "\(text)")
                }
                #expect(runs[index] == 1 + retries, "item \(index) ran \(runs[index]) times")
            } else {
                #expect((try? result.get()) == index * 2, "item \(index): \(result)")
                #expect(runs[index] == 1, "innocent item \(index) ran \(runs[index]) times")
            }
        }
    }

    @Test("bytes a job writes into its channel fail it, and nobody else, even a header whose body never comes",
          .timeLimit(.minutes(2)), arguments: [Vandalism.writeGarbage, .writeFalseHeader], [0, 2])
    func garbageInTheChannel(_ vandalism: Vandalism, retries: Int) async throws {
        let bad: Set<Int> = [5, 17]
        let (results, runs) = try await vandalMap(vandalism, retries: retries, bad: bad)
        for (index, result) in results.enumerated() {
            if bad.contains(index) {
                guard case let .failure(failure) = result, case .protocolViolation = failure.reason else {
                    Issue.record("item \(index): \(result)")
                    continue
                }
                // The parent may read the bytes when the worker has gone on to later items: they
                // are then suspects too, and run again alone (see Blame), where the run among them
                // counts as an attempt. So 1 + retries runs, or 2 with no retries.
                #expect(retries == 0 ? (1...2).contains(runs[index]) : runs[index] == 1 + retries,
                        "item \(index) ran \(runs[index]) times")
                #expect(failure.earlierAttempts.count == max(retries, runs[index] - 1))
            } else {
                #expect((try? result.get()) == index * 2, "item \(index): \(result)")
                #expect((1...2).contains(runs[index]), "innocent item \(index) ran \(runs[index]) times")
            }
        }
    }

    @Test("tiny items in large chunks: the vandal still fails alone; suspects run again one at a time",
          arguments: [Vandalism.closeSockets, .replaceSockets, .writeGarbage, .writeFalseHeader])
    func tinyItemsInChunks(_ vandalism: Vandalism) async throws {
        let bad: Set<Int> = [37, 150]
        let (results, runs) = try await vandalMap(vandalism, retries: 0, count: 200, bad: bad,
                                                  chunkSize: 25, micros: 0)
        for (index, result) in results.enumerated() {
            if bad.contains(index) {
                guard case .failure = result else {
                    Issue.record("item \(index) should have failed")
                    continue
                }
                // Its run among others, then its run alone (see Blame): at most two.
                #expect((1...2).contains(runs[index]), "item \(index) ran \(runs[index]) times")
            } else {
                #expect((try? result.get()) == index * 2, "innocent item \(index): \(result)")
                // Run again only when its result died undelivered with the worker.
                #expect((1...2).contains(runs[index]), "innocent item \(index) ran \(runs[index]) times")
            }
        }
    }

    @Test("under load: 2,000 items, vandals of every kind among them, a clean map beside them; only the vandals fail")
    func underLoad() async throws {
        let directory = try temporaryDirectory("vandal-load")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withProcessPool(workers: 2) { pool in
            let clean = Task { try await pool.map(Square(), Array(0..<5_000)) }
            var failedWrongly: [Int] = []
            var survived: [Int] = []
            for (round, vandalism) in [Vandalism.closeSockets, .replaceSockets, .writeGarbage, .writeFalseHeader, .exitZero].enumerated() {
                let bad = Set((0..<5).map { 37 + 101 * $0 + round * 13 })
                let job = Vandal(vandalism: vandalism, bad: bad, runLog: directory + "/r\(round)", micros: 0)
                try FileManager.default.createDirectory(atPath: directory + "/r\(round)", withIntermediateDirectories: true)
                let results = try await pool.mapResults(job, Array(0..<500), chunkSize: 20)
                for (index, result) in results.enumerated() {
                    switch (bad.contains(index), result) {
                    case (true, .success): survived.append(index)
                    case (false, .failure): failedWrongly.append(index)
                    case (false, .success(let value)): #expect(value == index * 2)
                    case (true, .failure): break
                    }
                }
            }
            #expect(failedWrongly.isEmpty, "innocent items failed: \(failedWrongly)")
            #expect(survived.isEmpty, "vandals that were not charged: \(survived)")
            #expect(try await clean.value == (0..<5_000).map { $0 * $0 }, "the clean map beside them is untouched")
        }
    }

    @Test("closing or writing descriptor 3 (where the channel was born) harms nobody",
          arguments: [Vandalism.closeDescriptor3, .writeDescriptor3])
    func descriptorThreeIsTheJobs(_ vandalism: Vandalism) async throws {
        let (results, runs) = try await vandalMap(vandalism, retries: 0)
        #expect(results.map { try? $0.get() } == (0..<24).map { $0 * 2 })
        #expect(runs == Array(repeating: 1, count: 24))
    }

    @Test("a worker that dies encoding a result charges that item, and only it", arguments: [1, 6])
    func deathWhileResultUnsent(chunkSize: Int) async throws {
        let directory = try temporaryDirectory("fragile-output")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withProcessPool(workers: 2) { pool in
            let bad: Set<Int> = [4, 13]
            let job = FragileOutputJob(bad: bad, runLog: directory, micros: 1000)
            let results = try await pool.mapResults(job, Array(0..<18), chunkSize: chunkSize)
            let runs = runCounts(0..<18, in: directory)
            for (index, result) in results.enumerated() {
                if bad.contains(index) {
                    guard case let .failure(failure) = result, case .crashed = failure.reason else {
                        Issue.record("item \(index): \(result)")
                        continue
                    }
                    #expect(runs[index] == 1, "item \(index) ran \(runs[index]) times")
                } else {
                    #expect((try? result.get()) == FragileOutput(value: index * 2, trap: false), "item \(index): \(result)")
                    #expect(runs[index] == 1, "innocent item \(index) ran \(runs[index]) times")
                }
            }
        }
    }

    @Test("a worker that dies decoding a task's inputs charges the bad input, and only it", arguments: [1, 5])
    func deathWhileDecodingInputs(chunkSize: Int) async throws {
        try await withProcessPool(workers: 2) { pool in
            let inputs = (0..<20).map { TouchyInput($0 == 7 ? -1 : $0) }
            let results = try await pool.mapResults(TouchyInputJob(), inputs, chunkSize: chunkSize)
            for (index, result) in results.enumerated() {
                if index == 7 {
                    guard case let .failure(failure) = result, case .crashed = failure.reason else {
                        Issue.record("item 7: \(result)")
                        continue
                    }
                } else {
                    #expect((try? result.get()) == index * 2, "item \(index): \(result)")
                }
            }
        }
    }

    @Test("a job whose value kills the worker that decodes it fails its call, once, and the pool goes on")
    func deathWhileDecodingTheJob() async throws {
        try await withProcessPool(workers: 2) { pool in
            do {
                _ = try await pool.map(UndecodableJob(), Array(0..<10))
                Issue.record("the map should have failed")
            } catch let failure as JobFailure {
                guard case let .jobUnavailable(text) = failure.reason else {
                    Issue.record("\(failure.reason)")
                    return
                }
                #expect(text.contains("decoding the job"), "\(text)")
            }
            #expect(try await pool.apply(Square(), 3) == 9)
            // Two workers died (one each), not a loop of them.
            #expect(await pool.statistics().workersStarted <= 6)
        }
    }
}

/// Frames over the limit fail the item they belong to, on either side; nothing spins.
@Suite("Frame limits")
struct FrameLimitTests {
    private static let limit = 64 * 1024

    @Test("a result over maxFrameBytes fails its item with the reason; the others arrive", arguments: [1, 8])
    func oversizedResult(chunkSize: Int) async throws {
        try await withProcessPool(workers: 2, options: .init(maxFrameBytes: Self.limit)) { pool in
            let job = SizedOutputJob(large: [3, 11], size: 200_000)
            let results = try await pool.mapResults(job, Array(0..<16), chunkSize: chunkSize)
            for (index, result) in results.enumerated() {
                if index == 3 || index == 11 {
                    guard case let .failure(failure) = result, case let .codingFailed(text) = failure.reason else {
                        Issue.record("item \(index): \(result)")
                        continue
                    }
                    #expect(text.contains("frame limit"), "\(text)")
                } else {
                    #expect((try? result.get()) == [UInt8](repeating: UInt8(index), count: 8))
                }
            }
            #expect(await pool.statistics().workerCrashes == 0, "no worker died over it")
        }
    }

    @Test("results that fit one by one but not together all arrive")
    func resultsSplitToFit() async throws {
        try await withProcessPool(workers: 1, options: .init(maxFrameBytes: Self.limit)) { pool in
            let job = SizedOutputJob(large: Set(0..<20), size: 10_000)
            let outputs = try await pool.map(job, Array(0..<20), chunkSize: 20)
            #expect(outputs == (0..<20).map { [UInt8](repeating: UInt8($0), count: 10_000) })
        }
    }

    @Test("inputs over maxFrameBytes fail their items before they are sent; the others run")
    func oversizedInputs() async throws {
        try await withProcessPool(workers: 2, options: .init(maxFrameBytes: Self.limit)) { pool in
            let inputs = (0..<6).map { [UInt8](repeating: 1, count: $0 == 2 ? 100_000 : 10) }
            let results = try await pool.mapResults(ByteCount(), inputs, chunkSize: 1)
            for (index, result) in results.enumerated() {
                if index == 2 {
                    guard case let .failure(failure) = result, case let .codingFailed(text) = failure.reason else {
                        Issue.record("item 2: \(result)")
                        continue
                    }
                    #expect(text.contains("frame limit"), "\(text)")
                } else {
                    #expect((try? result.get()) == 10)
                }
            }
        }
    }

    @Test("a job value over maxFrameBytes fails its call clearly")
    func oversizedJobValue() async throws {
        try await withProcessPool(workers: 1, options: .init(maxFrameBytes: Self.limit)) { pool in
            do {
                _ = try await pool.map(ByteCount(ballast: [UInt8](repeating: 7, count: 100_000)), [[1]])
                Issue.record("the map should have failed")
            } catch let failure as JobFailure {
                guard case let .codingFailed(text) = failure.reason else {
                    Issue.record("\(failure.reason)")
                    return
                }
                #expect(text.contains("job value"), "\(text)")
            }
            #expect(try await pool.apply(ByteCount(), [1, 2]) == 2)
        }
    }

    @Test("a length field never overflows: 4 GiB or more is refused before it is written")
    func lengthFieldBound() {
        #expect(Frame.fits(bodyCount: 10, limit: 1 << 40))
        #expect(!Frame.fits(bodyCount: Int(UInt32.max), limit: 1 << 40))
        #expect(!Frame.fits(bodyCount: 1 << 32, limit: Int.max))
        #expect(WorkerMarker(parsing: "1;ppid=1;frame=\(1 << 40)")?.maxFrameSize == Frame.largestMaxSize)
    }
}
