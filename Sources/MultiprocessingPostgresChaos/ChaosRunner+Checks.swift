#if Postgres
import Foundation
import Multiprocessing
@_spi(Testing) import MultiprocessingPostgres
import PostgresNIO

extension ChaosRunner {
    /// Counts what the round lost, duplicated and got wrong, and how long recovery took.
    func check(_ job: ChaosJob, _ round: ChaosRound, report: inout ChaosRoundReport) async throws {
        var jobs = [(job, round.jobID, round.ledger)]
        for other in round.others { jobs.append((other.job, other.jobID, other.ledger)) }
        var completed = true
        for (job, jobID, ledger) in jobs {
            let executions = ChaosJob.executions(in: round.journal, salt: job.salt)
            report.lost += ledger.lost
            report.duplicatedDeliveries += ledger.duplicated
            report.duplicatedRecords += try await ChaosRecorder.duplicates(client, jobID: jobID)
            for (index, result) in ledger.results.enumerated() {
                guard let result else { continue }
                let expected = job.expected(index)
                if expected != .crashed && executions[index, default: 0] > 1 { report.reExecuted += 1 }
                if let wrong = Self.wrongness(expected, result, index: index, executions: executions[index, default: 0]) {
                    report.wrong += 1
                    if report.notes.count < 20 { report.notes.append("job \(jobID) task \(index): \(wrong)") }
                }
            }
            let open = try await Self.number(client, """
                SELECT count(*) FROM mp_tasks WHERE job_id = \(jobID) AND state IN ('pending', 'running')
                """)
            if let error = ledger.error { report.notes.append("job \(jobID)'s collector failed: \(error)") }
            if open > 0 { report.notes.append("job \(jobID) has \(open) tasks pending or running") }
            completed = completed && ledger.ended && ledger.error == nil && ledger.lost == 0 && open == 0
        }
        // Each build's tasks on its own hosts only.
        for other in round.others {
            let misrouted = try await Self.number(client, """
                SELECT (SELECT count(*) FROM mp_tasks WHERE job_id = \(round.jobID)
                          AND (host = \(other.hostID) OR \(other.hostID) = ANY(cause_hosts)))
                     + (SELECT count(*) FROM mp_tasks WHERE job_id = \(other.jobID)
                          AND (host <> \(other.hostID) OR attempts <> 1))
                """)
            if misrouted > 0 {
                report.wrong += misrouted
                report.notes.append("\(misrouted) tasks ran on a host of another build than their job's (or spent attempts)")
            }
        }
        report.completed = completed
        for fault in round.injected {
            if fault.stallsTheJob, let first = round.ledger.firstArrival(after: fault.end) {
                report.recoveries.append(first - fault.end)
            }
            if !fault.held.isEmpty, let last = round.ledger.lastArrival(of: fault.held) {
                report.stranded.append(last - fault.start)
            }
        }
    }

    /// Why `result` is not what task `index` must end with (nil: it is).
    static func wrongness(_ expected: ChaosJob.Expected, _ result: Result<UInt64, JobFailure>, index: Int,
                          executions: Int) -> String? {
        switch (expected, result) {
        case let (.value(value), .success(got)):
            if got != value { return "returned \(got), not \(value)" }
            if executions == 0 { return "succeeded without ever running" }
            return nil
        case let (.value, .failure(failure)):
            return "failed: \(failure.reason) after \(failure.earlierAttempts.count) earlier attempts"
        case let (.thrown, .failure(failure)):
            guard case let .threw(errorType, message) = failure.reason else { return "failed as \(failure.reason), not as thrown" }
            if !errorType.hasSuffix("PoisonedError") { return "threw \(errorType)" }
            if !message.hasPrefix("poisoned \(index)") { return "its message is not its own" }
            if message.utf8.contains(0) || message.utf8.count > StorableText.limit { return "its message is not storable" }
            return nil
        case let (.crashed, .failure(failure)):
            guard case let .failedOnHost(_, cause) = failure.reason else { return "failed as \(failure.reason), not as a crash" }
            if cause.utf8.contains(0) { return "its cause holds a NUL byte" }
            if !cause.contains("poisoned") { return "its cause lacks the stderr tail: \(cause.prefix(200))" }
            return nil
        case (.thrown, .success), (.crashed, .success):
            return "succeeded although poisoned"
        }
    }

    /// The queue's state and the hosts' logs, for a round that went wrong.
    func describeFailure(_ round: ChaosRound, report: inout ChaosRoundReport) async {
        if let status = try? await round.pool.status() { report.notes.append("queue: \(status)") }
        for host in round.fleet.all {
            report.notes.append("host \(host.pid) log tail:\n" + String(host.log.suffix(2_000)))
        }
    }
}
#endif  // Postgres
