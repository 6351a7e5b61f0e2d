#if Postgres
@_spi(Testing) import MultiprocessingPostgres
import Testing

@Suite struct DoorbellTests {
    /// A wait that ends (rung, or its task cancelled) must not leave the bell rung for the next one.
    @Test func aWaitEndedByARingOrACancellationLeavesNoRingBehind() async throws {
        let bell = Doorbell()
        bell.ring()
        await bell.wait(upTo: .seconds(60))
        // Time for a cancelled timer to have rung, if it does.
        try await Task.sleep(for: .milliseconds(100))
        var started = ContinuousClock.now
        await bell.wait(upTo: .milliseconds(300))
        #expect(ContinuousClock.now - started >= .milliseconds(300), "the wait after a rung one ended early")

        let waiting = Task { await bell.wait(upTo: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        await waiting.value
        try await Task.sleep(for: .milliseconds(100))
        started = ContinuousClock.now
        await bell.wait(upTo: .milliseconds(300))
        #expect(ContinuousClock.now - started >= .milliseconds(300), "the wait after a cancelled one ended early")
    }

    @Test func aRingWakesTheWaitingTask() async throws {
        let bell = Doorbell()
        let waiting = Task { await bell.wait(upTo: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(100))
        bell.ring()
        // A hang guard only: the ring must end the wait long before its minute.
        let ended = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { await waiting.value; return true }
            group.addTask { try await Task.sleep(for: .seconds(30)); return false }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(ended)
    }
}
#endif  // Postgres
