#if Postgres
import Synchronization

/// A flag that is set once and read from any thread: a submitted call has finished, a client runs.
final class OnceFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}
#endif  // Postgres
