#if Postgres
import Synchronization

/// One LISTEN on a channel, shared by every waiter of this process: each notification rings
/// the doorbells registered under its payload (a queue's name, a job's id).
final class NotificationHub: Sendable {
    private let bells = Mutex<[String: [ObjectIdentifier: Doorbell]]>([:])
    private let listener = Mutex<Task<Void, Never>?>(nil)

    init(database: QueueDatabase, channel: String) {
        let task = database.listen(channel) { [weak self] payload in self?.ring(payload) }
        listener.withLock { $0 = task }
    }

    private func ring(_ key: String) {
        let ringing = bells.withLock { $0[key].map { Array($0.values) } ?? [] }
        for bell in ringing { bell.ring() }
    }

    func register(_ bell: Doorbell, for key: String) {
        bells.withLock { $0[key, default: [:]][ObjectIdentifier(bell)] = bell }
    }

    func unregister(_ bell: Doorbell, for key: String) {
        bells.withLock { bells in
            bells[key]?[ObjectIdentifier(bell)] = nil
            if bells[key]?.isEmpty == true { bells[key] = nil }
        }
    }

    func stop() {
        listener.withLock { $0?.cancel() }
    }

    deinit {
        listener.withLock { $0?.cancel() }
    }
}
#endif  // Postgres
