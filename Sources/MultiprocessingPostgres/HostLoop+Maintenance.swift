#if Postgres
import Logging
import PostgresNIO

// Maintenance: the heartbeat that renews held leases, the reaper of expired ones, retention.
extension HostLoop {
    func maintenanceLoop() async {
        var lastCleanup = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: options.lease / 3)
            if Task.isCancelled { return }
            do {
                let held = state.withLock { Array($0.held) }
                if !held.isEmpty {
                    let renew = renewLeasesSQL(held)
                    try await bounded("renewing leases") { [database] in _ = try await database.execute(renew) }
                }
                let seen: PostgresQuery = "UPDATE mp_hosts SET seen_at = now() WHERE id = \(hostID)"
                try await bounded("noting the host alive") { [database] in _ = try await database.execute(seen) }
                try await reapExpiredLeases()
                if ContinuousClock.now - lastCleanup > .seconds(60) {
                    lastCleanup = .now
                    let removed = try await Retention.removeFinishedJobs(database, queue: queue, olderThan: options.retention)
                    if removed > 0 { logger.info("removed finished jobs past retention", metadata: ["jobs": "\(removed)"]) }
                }
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Tasks whose host stopped answering go back to pending, or to the dead letters after
    /// their last attempt.
    func reapExpiredLeases() async throws {
        let query = reapExpiredLeasesSQL()
        let rows = try await bounded("returning expired leases") { [database] in
            var rows: [(Int, Int, Int, Int)] = []
            for try await row in try await database.execute(query).decode((Int, Int, Int, Int).self) { rows.append(row) }
            return rows
        }
        for (count, dead, _, _) in rows where count > 0 {
            logger.warning("leases expired: tasks of a host that stopped answering go back to the queue",
                           metadata: ["tasks": "\(count)", "deadLettered": "\(dead)"])
        }
    }
}
#endif  // Postgres
