#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// An error whose message PostgreSQL cannot store as it is: a NUL byte, and a megabyte of text.
struct PGNulError: Error, CustomStringConvertible {
    var description: String { "nul\u{0}here " + String(repeating: "x", count: 1 << 20) }
}

/// Fails with texts PostgreSQL cannot store as they are: on 3 it throws ``PGNulError``; on 5
/// it writes a NUL byte and invalid UTF-8 to stderr and dies.
struct PGPoisonedText: Job {
    func run(_ x: Int) async throws -> Int {
        switch x {
        case 3:
            throw PGNulError()
        case 5:
            let bytes: [UInt8] = Array("bad".utf8) + [0x00, 0xFF, 0xFE, 0xC3] + Array(" stderr\n".utf8)
            _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            _exit(3)
        default:
            return x
        }
    }
}

extension DistributedPoolTests {
    @Test func outcomesWithNULBytesInvalidUTF8AndHugeTextsAreStoredAndTheHostGoesOn() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("nul")
        let host = try ChildProgram.host(url: server.url, queue: queue)
        let pool = try await DistributedProcessPool(url: server.url, queue: queue, options: .init(maxAttempts: 1))
        defer { pool.close() }

        let job = try await pool.start(PGPoisonedText(), Array(0..<20))
        // A hang guard: today's host retries the poisoned batch for ever.
        try await waitUntil(timeout: .seconds(60)) {
            let status = try await pool.status()
            return status.done + status.failed + status.dead == 20
        }
        let results = try await job.results()
        for (index, result) in results.enumerated() where index != 3 && index != 5 {
            #expect(try result.get() == index)
        }
        guard case let .failure(thrown) = results[3], case let .threw(errorType, message) = thrown.reason else {
            Issue.record("task 3 did not fail with its thrown error: \(results[3])")
            return
        }
        #expect(errorType == String(reflecting: PGNulError.self))
        #expect(message.hasPrefix("nul\u{FFFD}here xxx"))
        #expect(!message.contains("\u{0}"))
        #expect(message.utf8.count <= StorableText.limit)
        #expect(message.contains("bytes cut"))
        guard case let .failure(crashed) = results[5], case let .failedOnHost(_, cause) = crashed.reason else {
            Issue.record("task 5 did not fail with its crash: \(results[5])")
            return
        }
        #expect(cause.contains("crashed") || cause.contains("exit"))
        #expect(cause.contains("bad\u{FFFD}"))
        #expect(!cause.contains("\u{0}"))
        // Later jobs on the queue run.
        #expect(try await pool.map(PGSquare(), Array(0..<10)) == (0..<10).map { $0 * $0 })
        _ = host
    }

    @Test func aRowTheServerRefusesFailsItsOwnTaskAndTheRestOfTheBatchIsWritten() async throws {
        let server = try await PostgresServer.shared.start()
        let queue = uniqueQueue("refused")
        let pool = try await DistributedProcessPool(url: server.url, queue: queue)
        defer { pool.close() }
        // No host yet: the whole job is claimed in one batch, so its outcomes are written in one.
        let job = try await pool.start(PGSquare(), Array(0..<50))
        // The server refuses task 7's success (as a user's trigger or constraint could).
        let function = "mp_test_refuse_\(job.id)"
        try await withTestClient(server.url) { client in
            try await client.query(PostgresQuery(unsafeSQL: """
                CREATE FUNCTION \(function)() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'the test refuses this row'; END $$
                """))
            try await client.query(PostgresQuery(unsafeSQL: """
                CREATE TRIGGER \(function) BEFORE UPDATE ON mp_tasks FOR EACH ROW
                WHEN (NEW.job_id = \(job.id) AND NEW.idx = 7 AND NEW.state = 'done') EXECUTE FUNCTION \(function)()
                """))
        }
        let host = try ChildProgram.host(url: server.url, queue: queue)
        do {
            try await waitUntil(timeout: .seconds(60)) {
                let status = try await pool.status()
                return status.done + status.failed + status.dead == 50
            }
        } catch {
            try? await dropTrigger(function, url: server.url)
            throw error
        }
        try await dropTrigger(function, url: server.url)
        let results = try await job.results()
        for (index, result) in results.enumerated() where index != 7 {
            #expect(try result.get() == index * index)
        }
        guard case let .failure(failure) = results[7], case let .failedOnHost(_, cause) = failure.reason else {
            Issue.record("task 7 did not fail: \(results[7])")
            return
        }
        #expect(cause.contains("could not be stored"))
        #expect(cause.contains("the test refuses this row"))
        // The host goes on serving.
        #expect(try await pool.apply(PGSquare(), 9) == 81)
        _ = host
    }

    private func dropTrigger(_ function: String, url: String) async throws {
        try await withTestClient(url) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP TRIGGER IF EXISTS \(function) ON mp_tasks"))
            try await client.query(PostgresQuery(unsafeSQL: "DROP FUNCTION IF EXISTS \(function)()"))
        }
    }
}
#endif  // Postgres
