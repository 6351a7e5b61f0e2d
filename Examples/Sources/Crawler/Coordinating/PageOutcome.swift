import Multiprocessing

/// How a URL's crawl ended, after any retries.
public enum PageOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The server's answer.
    case status(Int)
    /// No answer within the HTTP client's deadline, or the pool killed the worker at its timeout.
    case timedOut(String)
    /// The connection failed every time.
    case networkError(String)
    /// The worker died on this page: the pool's reason (the signal) and the worker's last words.
    case crashed(reason: String, message: String)
    /// Any other failure of the job (it threw, a value could not be decoded, ...).
    case failed(String)

    public var kind: OutcomeKind {
        switch self {
        case .status(200): return .ok
        case .status(404): return .notFound
        case let .status(code) where (500..<600).contains(code): return .serverError
        case .status: return .otherStatus
        case .timedOut: return .timedOut
        case .networkError: return .networkError
        case .crashed: return .crashed
        case .failed: return .failed
        }
    }

    public var description: String {
        switch self {
        case let .status(code): return "HTTP \(code)"
        case let .timedOut(why): return "timed out (\(why))"
        case let .networkError(why): return "network error: \(why)"
        case let .crashed(reason, message): return message.isEmpty ? reason : "\(reason): \(message)"
        case let .failed(why): return why
        }
    }

    /// The outcome of a page whose job failed in the pool.
    init(_ failure: JobFailure) {
        switch failure.reason {
        case .crashed:
            // The trap's own line ("Fatal error: ...") if the worker wrote one, else its last line.
            let line = failure.stderrTail.last { $0.contains("Fatal error") } ?? failure.stderrTail.last ?? ""
            self = .crashed(reason: failure.reason.description, message: line.trimmingSpaces)
        case let .timedOut(limit):
            self = .timedOut("the pool killed its worker after \(limit)")
        default:
            self = .failed(failure.reason.description)
        }
    }
}

/// The classes of outcome the crawl counts and the test site predicts.
public enum OutcomeKind: String, Sendable, Hashable, CaseIterable, Comparable {
    case ok, notFound, serverError, otherStatus, timedOut, networkError, crashed, failed

    public static func < (lhs: OutcomeKind, rhs: OutcomeKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
