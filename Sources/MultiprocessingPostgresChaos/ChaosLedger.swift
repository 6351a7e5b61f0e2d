#if Postgres
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import Synchronization

/// What a job's collector delivered, and when: each task's outcome and how often it came.
final class ChaosLedger: Sendable {
    private struct State {
        var deliveries: [Int]
        var results: [Result<UInt64, JobFailure>?]
        var arrivals: [(index: Int, at: ContinuousClock.Instant)] = []
        var delivered = 0
        var ended = false
        var error: String?
    }
    private let state: Mutex<State>
    let total: Int

    init(total: Int) {
        self.total = total
        state = Mutex(State(deliveries: Array(repeating: 0, count: total), results: Array(repeating: nil, count: total)))
    }

    /// Collects `job` to its end (or its error) into the ledger.
    func collect(_ job: DistributedJob<UInt64>) async {
        do {
            for try await outcome in job.outcomes() { record(outcome.index, outcome.result) }
            state.withLock { $0.ended = true }
        } catch {
            state.withLock {
                $0.ended = true
                $0.error = String(reflecting: error)
            }
        }
    }

    func record(_ index: Int, _ result: Result<UInt64, JobFailure>) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard index >= 0 && index < state.deliveries.count else {
                state.error = "an outcome for index \(index), not an index of the job"
                return
            }
            if state.deliveries[index] == 0 { state.delivered += 1 }
            state.deliveries[index] += 1
            state.results[index] = result
            state.arrivals.append((index, now))
        }
    }

    /// Tasks with at least one outcome.
    var delivered: Int { state.withLock { $0.delivered } }
    var ended: Bool { state.withLock { $0.ended } }
    var error: String? { state.withLock { $0.error } }
    var results: [Result<UInt64, JobFailure>?] { state.withLock { $0.results } }
    /// Tasks whose outcome never came.
    var lost: Int { state.withLock { state in state.deliveries.count { $0 == 0 } } }
    /// Outcomes beyond each task's first.
    var duplicated: Int { state.withLock { state in state.deliveries.reduce(0) { $0 + max(0, $1 - 1) } } }

    /// When the first outcome after `instant` arrived.
    func firstArrival(after instant: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        state.withLock { state in state.arrivals.first { $0.at > instant }?.at }
    }

    /// When the last of `indices`' first outcomes arrived (nil if one never did).
    func lastArrival(of indices: Set<Int>) -> ContinuousClock.Instant? {
        state.withLock { state in
            var first: [Int: ContinuousClock.Instant] = [:]
            for arrival in state.arrivals where indices.contains(arrival.index) && first[arrival.index] == nil {
                first[arrival.index] = arrival.at
            }
            guard first.count == indices.count else { return nil }
            return first.values.max()
        }
    }
}
#endif  // Postgres
