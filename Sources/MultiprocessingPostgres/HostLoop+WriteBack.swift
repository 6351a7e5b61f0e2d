#if Postgres
import Logging
import PostgresNIO

// Writing back: outcomes in batches, the row a server refuses isolated, back-off when it cannot be reached.
extension HostLoop {
    func writeLoop() async {
        // After a failed write: from a quarter of a second, doubled up to 10 s (no tight loop).
        var pause = Duration.milliseconds(250)
        while true {
            let batch = state.withLock { state -> [TaskOutcomeRecord] in
                let taken = Array(state.outcomes.prefix(2_000))
                state.outcomes.removeFirst(taken.count)
                state.writing = !taken.isEmpty
                return taken
            }
            if batch.isEmpty {
                if Task.isCancelled { return }
                await writeBell.wait(upTo: .milliseconds(50))
                continue
            }
            do {
                try await writeIsolatingRefusedRows(batch)
                state.withLock { $0.writing = false }
                pause = .milliseconds(250)
                claimBell.ring()
            } catch {
                logger.warning("writing outcomes failed; trying again", metadata: [
                    "database": "\(database.endpoint)", "cause": "\(Outage.describe(error.cause))", "retryIn": "\(pause)"])
                state.withLock { state in
                    state.outcomes.insert(contentsOf: error.unwritten, at: 0)
                    state.writing = false
                }
                if Task.isCancelled { return }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(10))
            }
        }
    }

    /// Outcomes not written because the database could not be reached, to be written later.
    struct UnwrittenOutcomes: Error {
        var unwritten: [TaskOutcomeRecord]
        var cause: any Error
    }

    /// Writes `batch`. A batch the server refuses for what a row holds is split in halves until
    /// the row at fault is alone: that task then fails with the server's reason, and every other
    /// row is written. What is left when the database cannot be reached is thrown back.
    func writeIsolatingRefusedRows(_ batch: [TaskOutcomeRecord]) async throws(UnwrittenOutcomes) {
        var parts = [batch[...]]
        while let part = parts.popLast() {
            do {
                try await write(Array(part))
                forget(part)
            } catch {
                guard let refusal = ServerRefusal(error) else {
                    throw UnwrittenOutcomes(unwritten: parts.reversed().flatMap { Array($0) } + part, cause: error)
                }
                if part.count > 1 {
                    let middle = part.startIndex + part.count / 2
                    parts.append(part[middle...])
                    parts.append(part[..<middle])
                    continue
                }
                let row = part[part.startIndex]
                logger.error("the database refused a task's outcome; the task fails with the reason",
                             metadata: ["job": "\(row.jobID)", "task": "\(row.index)", "reason": "\(refusal.message)"])
                let failed = TaskOutcomeRecord(jobID: row.jobID, index: row.index, kind: .failed,
                                               error: "the outcome could not be stored: the database refused it: \(refusal.message)")
                do {
                    try await write([failed])
                } catch {
                    guard ServerRefusal(error) != nil else {
                        throw UnwrittenOutcomes(unwritten: parts.reversed().flatMap { Array($0) } + [failed], cause: error)
                    }
                    // Not even the failure can be stored: the task is left to its lease, which expires.
                    logger.error("the database refused a task's failure too; its lease will expire",
                                 metadata: ["job": "\(row.jobID)", "task": "\(row.index)"])
                }
                forget(part)
            }
        }
    }

    /// Written back: no longer this host's to renew.
    func forget(_ records: ArraySlice<TaskOutcomeRecord>) {
        state.withLock { $0.held.subtract(records.map(\.key)) }
    }

    func write(_ batch: [TaskOutcomeRecord]) async throws {
        let query = writeBackSQL(batch)
        let rows = try await bounded("writing outcomes back") { [database] in
            var rows: [(Int, Int, Int)] = []
            for try await row in try await database.execute(query).decode((Int, Int, Int).self) { rows.append(row) }
            return rows
        }
        for (duplicates, _, _) in rows where duplicates > 0 {
            logger.info("duplicate results discarded (their tasks had finished elsewhere)", metadata: ["count": "\(duplicates)"])
        }
    }
}
#endif  // Postgres
