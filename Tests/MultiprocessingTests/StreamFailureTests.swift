import Foundation
import Testing
@testable import Multiprocessing

/// When a stream's input fails (its sequence throws, or an item cannot be encoded), the results
/// of the items read before it come first, then the input's own error, as Python's `imap` does.
@Suite("Streams that fail", .timeLimit(.minutes(2)))
struct StreamFailureTests {
    /// The elements a stream yields before it throws, and what it throws.
    func drain<S: AsyncSequence>(_ stream: S) async -> (elements: [S.Element], error: (any Error)?) {
        var elements: [S.Element] = []
        do {
            for try await element in stream { elements.append(element) }
            return (elements, nil)
        } catch {
            return (elements, error)
        }
    }

    @Test("imap over an input that throws yields every result read before, in order, then the input's error",
          arguments: [1, 3, 25])
    func imapFailingAsyncInput(chunkSize: Int) async throws {
        try await withProcessPool(workers: 2) { pool in
            let (outputs, error) = await drain(try pool.imap(Square(), failingInput(count: 20), chunkSize: chunkSize))
            #expect(outputs == (0..<20).map { $0 * $0 })
            #expect(error as? InputBroke == InputBroke(after: 20), "got \(String(describing: error))")
            #expect(try await pool.apply(Square(), 2) == 4)
        }
    }

    @Test("imapUnordered over an input that throws yields every result read before, then the input's error",
          arguments: [1, 3, 25])
    func imapUnorderedFailingAsyncInput(chunkSize: Int) async throws {
        try await withProcessPool(workers: 2) { pool in
            let (outputs, error) = await drain(try pool.imapUnordered(Sleepy(milliseconds: [0: 200]),
                                                                      failingInput(count: 20), chunkSize: chunkSize))
            #expect(outputs.sorted() == Array(0..<20), "the slow first item too")
            #expect(error as? InputBroke == InputBroke(after: 20), "got \(String(describing: error))")
        }
    }

    @Test("imapUnorderedResults over an input that throws yields a result per item read, then the error")
    func imapUnorderedResultsFailingAsyncInput() async throws {
        try await withProcessPool(workers: 2) { pool in
            let (results, error) = await drain(try pool.imapUnorderedResults(FailSome(failing: [4]),
                                                                             failingInput(count: 10)))
            #expect(results.count == 10)
            #expect(results.compactMap { try? $0.get() }.sorted() == Array(0..<10).filter { $0 != 4 })
            #expect(error as? InputBroke == InputBroke(after: 10))
        }
    }

    @Test("an input that throws at once ends the stream with its error and nothing else")
    func inputThrowsFirst() async throws {
        try await withProcessPool(workers: 1) { pool in
            let (outputs, error) = await drain(try pool.imap(Square(), failingInput(count: 0)))
            #expect(outputs.isEmpty)
            #expect(error as? InputBroke == InputBroke(after: 0))
        }
    }

    @Test("imap: the items before one that cannot be encoded run and are delivered, then its coding failure",
          arguments: [1, 4])
    func imapUnencodableItem(chunkSize: Int) async throws {
        try await withProcessPool(workers: 2) { pool in
            let inputs = (0..<12).map { Picky($0, refused: 6) }
            let (outputs, error) = await drain(try pool.imap(SquarePicky(), inputs, chunkSize: chunkSize))
            #expect(outputs == (0..<6).map { $0 * $0 })
            let failure = error as? JobFailure
            guard case .codingFailed? = failure?.reason else {
                Issue.record("expected a coding failure, got \(String(describing: error))")
                return
            }
            #expect(failure?.index == 6, "the failure names the item that cannot be encoded")
        }
    }

    @Test("imapUnordered: the items before one that cannot be encoded are delivered, then its coding failure")
    func imapUnorderedUnencodableItem() async throws {
        try await withProcessPool(workers: 2) { pool in
            let inputs = (0..<12).map { Picky($0, refused: 9) }
            let (outputs, error) = await drain(try pool.imapUnordered(SquarePicky(), inputs, chunkSize: 2))
            #expect(outputs.sorted() == (0..<9).map { $0 * $0 })
            let failure = error as? JobFailure
            guard case .codingFailed? = failure?.reason else {
                Issue.record("expected a coding failure, got \(String(describing: error))")
                return
            }
            #expect(failure?.index == 9)
        }
    }

    @Test("map of an input that cannot be encoded throws its coding failure, naming that item")
    func mapUnencodableItem() async throws {
        try await withProcessPool(workers: 2) { pool in
            let inputs = (0..<40).map { Picky($0, refused: 13) }
            let failure = await #expect(throws: JobFailure.self) {
                try await pool.map(SquarePicky(), inputs, chunkSize: 8)
            }
            guard case .codingFailed? = failure?.reason else {
                Issue.record("expected a coding failure, got \(String(describing: failure))")
                return
            }
            #expect(failure?.index == 13)
            let squares = try await pool.map(Square(), [1, 2])
            #expect(squares == [1, 4])
        }
    }
}
