#if Postgres
import Foundation
@_spi(Testing) import MultiprocessingPostgres
import Synchronization

/// A round's worker hosts: the victim of host faults (the first; in its own network namespace
/// for a cut), the others, and a host of another build once one joins.
final class ChaosFleet: Sendable {
    private let hosts: Mutex<[SpawnedProgram]>
    /// The victim's namespace, for a cut.
    let namespace: NetworkNamespace?
    private let start: @Sendable () throws -> SpawnedProgram

    init(hosts: [SpawnedProgram], namespace: NetworkNamespace?, start: @escaping @Sendable () throws -> SpawnedProgram) {
        self.hosts = Mutex(hosts)
        self.namespace = namespace
        self.start = start
    }

    var count: Int { hosts.withLock { $0.count } }
    var victim: SpawnedProgram { hosts.withLock { $0[0] } }
    var all: [SpawnedProgram] { hosts.withLock { $0 } }

    /// Kills the victim and starts a host in its place (outside any namespace).
    func replaceVictim() throws {
        let old = victim
        old.stop()
        let new = try start()
        hosts.withLock { $0[0] = new }
    }

    func add(_ host: SpawnedProgram) {
        hosts.withLock { $0.append(host) }
    }

    func stop() {
        for host in all { host.stop() }
    }
}

extension ChaosRunner {
    /// The hosts of a round; for a cut, the victim in a network namespace of its own.
    func startFleet(_ fault: ChaosFault, queue: String) async throws -> ChaosFleet {
        let (url, executable, lease, batch) = (options.url, options.hostExecutable, options.leaseSeconds, options.claimBatch)
        let start: @Sendable () throws -> SpawnedProgram = {
            try SpawnedProgram.host(executable, url: url, queue: queue, processes: 1, leaseSeconds: lease, claimBatch: batch)
        }
        var hosts: [SpawnedProgram] = []
        var namespace: NetworkNamespace?
        if fault == .hostCut {
            let made = try NetworkNamespace(index: nextNamespaceIndex())
            namespace = made
            hosts.append(try made.host(executable, url: made.reach(url), queue: queue, leaseSeconds: lease, claimBatch: batch))
        }
        while hosts.count < options.hosts + (fault.isHostFault && options.hosts == 1 ? 1 : 0) {
            hosts.append(try start())
        }
        return ChaosFleet(hosts: hosts, namespace: namespace, start: start)
    }
}
#endif  // Postgres
