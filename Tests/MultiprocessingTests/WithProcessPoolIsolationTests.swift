import Testing
import Multiprocessing

/// An actor that runs a pool inside one of its methods and keeps what it got in its own state.
actor Tally {
    var entries = 0
    var outputs: [Int] = []

    func squares(_ inputs: [Int]) async throws -> Int {
        try await withProcessPool(workers: 1) { pool in
            // The body runs on this actor: its state is touched without `await`.
            entries += 1
            assertIsolated("withProcessPool's body runs in the caller's isolation")
            outputs = try await pool.map(Square(), inputs)
            return outputs.count
        }
    }
}

@Suite("withProcessPool's isolation")
struct WithProcessPoolIsolationTests {
    @Test("the body runs in the calling actor's isolation")
    func actorIsolation() async throws {
        let tally = Tally()
        #expect(try await tally.squares([1, 2, 3]) == 3)
        #expect(try await tally.squares([4]) == 1)
        #expect(await tally.entries == 2)
        #expect(await tally.outputs == [16])
    }

    @Test("the body runs on the main actor when called from it")
    @MainActor
    func mainActor() async throws {
        var seen: [Int] = []
        try await withProcessPool(workers: 1) { pool in
            MainActor.assertIsolated()
            seen = try await pool.map(Square(), [5, 6])
        }
        #expect(seen == [25, 36])
    }
}
