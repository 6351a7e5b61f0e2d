#if Postgres
import Multiprocessing
import PostgresNIO

/// A task's outcome as the database holds it, and what it means to the submitter.
struct FinishedTaskRow: Sendable {
    var index: Int
    var state: String
    var output: ByteBuffer?
    var errorType: String?
    var error: String?
    var causes: [String]
    var causeHosts: [String]
    var host: String?
    var doneSeq: Int64

    typealias Columns = (Int32, String, ByteBuffer?, String?, String?, [String], [String], String?, Int64)
    static let columns = "idx, state, output, error_type, error, causes, cause_hosts, host, done_seq"

    init(_ columns: Columns) {
        (index, state, output, errorType, error, causes, causeHosts, host, doneSeq) =
            (Int(columns.0), columns.1, columns.2, columns.3, columns.4, columns.5, columns.6, columns.7, columns.8)
    }

    func result<Output: Decodable>(as type: Output.Type, jobName: String) -> Result<Output, JobFailure> {
        if state == "done" {
            guard var output else {
                return .failure(failure(.codingFailed("the row of a done task has no output"), jobName: jobName))
            }
            do {
                let bytes = output.readBytes(length: output.readableBytes) ?? []
                return .success(try BinaryDecoder().decode(Output.self, from: bytes))
            } catch {
                return .failure(failure(.codingFailed("cannot decode the output as \(Output.self): \(error)"),
                                        jobName: jobName))
            }
        }
        let last: JobFailure.Reason
        if state == "cancelled" {
            last = .cancelled
        } else if let errorType {
            last = .threw(errorType: errorType, message: error ?? "")
        } else {
            last = .failedOnHost(host: host ?? causeHosts.last ?? "?", cause: error ?? causes.last ?? state)
        }
        return .failure(failure(last, jobName: jobName))
    }

    private func failure(_ reason: JobFailure.Reason, jobName: String) -> JobFailure {
        // Every attempt but the last (which is `reason`) is an earlier one.
        let earlier = zip(causeHosts, causes).dropLast().map { JobFailure.Reason.failedOnHost(host: $0, cause: $1) }
        return JobFailure(reason: reason, jobType: jobName, index: index, earlierAttempts: Array(earlier))
    }
}

/// One task's outcome in completion order, with its position in the job's input.
public struct TaskOutcome<Output: Sendable>: Sendable {
    /// The task's position in the job's input.
    public var index: Int
    /// The task's output, or how it failed.
    public var result: Result<Output, JobFailure>
}
#endif  // Postgres
