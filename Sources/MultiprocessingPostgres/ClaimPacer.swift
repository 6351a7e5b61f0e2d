#if Postgres
import Synchronization

/// How many tasks a host should hold: one per local worker, plus a prefetch that covers the
/// time the next claim takes, so that workers on tiny tasks do not wait for the database while
/// a host with long tasks takes only what its free workers can start now (the rest stays
/// pending for other hosts instead of being hoarded).
///
/// The prefetch is `workers × (horizon / task duration)`, capped at two claim batches, where the
/// horizon is four claim round trips (at least 50 ms) and both durations are moving averages of
/// what this host measured. A task as long as the horizon or longer gets no prefetch. Before
/// the first measurement there is none either: a host starts by claiming its free workers only.
final class ClaimPacer: Sendable {
    let workers: Int
    let maxPrefetch: Int
    private let averages = Mutex<(task: Duration?, claim: Duration?)>((nil, nil))

    init(workers: Int, maxPrefetch: Int) {
        self.workers = max(1, workers)
        self.maxPrefetch = max(0, maxPrefetch)
    }

    /// The tasks to hold now (claimed and not yet finished).
    var target: Int { workers + prefetch }

    var prefetch: Int {
        let (task, claim) = averages.withLock { $0 }
        guard let task, task > .zero else { return 0 }
        let horizon = max((claim ?? .zero) * 4, .milliseconds(50))
        let perWorker = horizon / task
        guard perWorker >= 1 else { return 0 }
        return Int(min(Double(maxPrefetch), (Double(workers) * perWorker).rounded(.down)))
    }

    /// A claim statement took `elapsed`.
    func claimed(in elapsed: Duration) {
        averages.withLock { $0.claim = Self.blend($0.claim, elapsed) }
    }

    /// A group of `count` tasks of one job ran in `elapsed` on the local pool. It had at most
    /// `min(workers, count)` workers, so one task took about `elapsed × that / count` (more
    /// when groups shared the workers: the estimate errs towards less prefetch).
    func ran(_ count: Int, in elapsed: Duration) {
        guard count > 0 else { return }
        let perTask = elapsed * min(workers, count) / count
        averages.withLock { $0.task = Self.blend($0.task, perTask) }
    }

    private static func blend(_ average: Duration?, _ sample: Duration) -> Duration {
        guard let average else { return sample }
        return average * 0.7 + sample * 0.3
    }
}
#endif  // Postgres
