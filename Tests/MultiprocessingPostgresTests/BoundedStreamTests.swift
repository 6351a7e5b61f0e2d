#if Postgres
import Foundation
import Multiprocessing
import MultiprocessingPostgres
import PostgresNIO
import Testing

// Bounded streams (issue 12, point 7): a reader that pauses holds a bounded number of results,
// whatever the job's size. The results are read from the database a page at a time, and the
// next page only once the last one was taken; a page is marked `collected` once taken, so the
// rows marked while the reader pauses are those read ahead of it.
extension DistributedPoolTests {
    /// The collector's page (ResultCollector.pageRows): what a paused reader may have read ahead.
    static let collectorPage = 2_000

    /// Waits until every task of `jobID` is done, then returns how many of its rows a collector
    /// has marked collected (read from the database and handed on).
    private func collectedOnceAllDone(_ pool: DistributedProcessPool, _ url: String, jobID: Int64, total: Int)
        async throws -> Int {
        try await waitUntil(timeout: .seconds(240)) { try await pool.status().done == total }
        return try await withTestClient(url) { client in
            try await scalar(client, "SELECT count(*) FROM mp_tasks WHERE job_id = \(jobID) AND collected")
        }
    }

    /// A reader of `outcomes()` that takes one result and pauses while the whole job (three
    /// pages of 4 KB results) finishes: at most one page was read for it, and the rest, read
    /// once it goes on, is right and complete.
    @Test func aPausedReaderOfOutcomesHoldsAtMostOnePage() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("boundedoutcomes")
        let total = 3 * Self.collectorPage
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2, claimBatch: 256)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        let job = try await pool.start(PGBulky(count: 512), Array(0..<total))

        var reader = job.outcomes().makeAsyncIterator()
        let first = try #require(try await reader.next())
        let readAhead = try await collectedOnceAllDone(pool, server.url, jobID: job.id, total: total)
        #expect(readAhead <= Self.collectorPage, "\(readAhead) results were read ahead of a paused reader")

        var seen: Set<Int> = [first.index]
        #expect(try first.result.get() == [Int](repeating: first.index, count: 512))
        while let outcome = try await reader.next() {
            #expect(try outcome.result.get() == [Int](repeating: outcome.index, count: 512))
            #expect(seen.insert(outcome.index).inserted, "task \(outcome.index) delivered twice")
        }
        #expect(seen.count == total)
        _ = host
    }

    /// The same for `imap` (in input order): a reader that takes one output and pauses has at
    /// most one page read for it; going on, it reads every output, in order.
    @Test func aPausedReaderOfImapHoldsAtMostOnePage() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("boundedimap")
        let total = 3 * Self.collectorPage
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2, claimBatch: 256)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }

        var reader = try pool.imap(PGBulky(count: 512), Array(0..<total)).makeAsyncIterator()
        let first = try #require(try await reader.next())
        #expect(first == [Int](repeating: 0, count: 512))
        let jobID = try await withTestClient(server.url) { client in
            Int64(try await scalar(client, "SELECT id FROM mp_jobs WHERE queue = \(queue)"))
        }
        let readAhead = try await collectedOnceAllDone(pool, server.url, jobID: jobID, total: total)
        #expect(readAhead <= Self.collectorPage, "\(readAhead) results were read ahead of a paused reader")

        var next = 1
        while let output = try await reader.next() {
            #expect(output == [Int](repeating: next, count: 512))
            next += 1
        }
        #expect(next == total)
        _ = host
    }

    /// Leaving an `imap` loop early cancels the rest of its job (nobody reads it any more),
    /// for both orders: its job is `cancelled` and nothing of it runs on.
    @Test func leavingAnImapLoopEarlyCancelsTheRestOfItsJob() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("imapleave")
        let host = try ChildProgram.host(url: server.url, queue: queue, processes: 2)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        for ordered in [true, false] {
            let nap = PGNap(milliseconds: 50)
            let stream = try ordered ? pool.imap(nap, Array(0..<200)) : pool.imapUnordered(nap, Array(0..<200))
            for try await _ in stream { break }
            try await waitUntil(timeout: .seconds(20)) {
                try await withTestClient(server.url) { client in
                    try await scalar(client, "SELECT count(*) FROM mp_jobs WHERE queue = \(queue) AND state <> 'cancelled'")
                } == 0
            }
            try await waitUntil(timeout: .seconds(20)) { try await pool.status().running == 0 }
        }
        // Both jobs together ran less than one of them would have (a few tasks each, on two workers).
        let done = try await pool.status().done
        #expect(done < 200, "\(done) tasks done, as if a loop had not been left")
        _ = host
    }
}
#endif  // Postgres
