#if Postgres
import NIOCore
import PostgresNIO
import Synchronization

/// What a database outage (a restart, a failover, a dropped connection) looks like to a
/// client, and how an operation rides it out: errors that pass are told apart from the
/// others, and an operation is tried again with back-off until a bound.
enum Outage {
    /// SQLSTATEs of a server going away or not yet back: connection exceptions (08), admin or
    /// crash shutdown and "the database system is starting up" (57P01-57P03), too many
    /// connections (53300); and of a transaction the server aborted to let another go on, a
    /// serialization failure (40001) or a deadlock (40P01): a collector's marking meets the
    /// hosts' write-backs on the same rows, and tried again it goes through.
    private static let transientStates: Set<String> = ["57P01", "57P02", "57P03", "53300", "40001", "40P01"]

    /// The error a transaction's wrapper holds (the first of its steps that failed), or `error`.
    static func unwrapped(_ error: any Error) -> any Error {
        guard let wrapper = error as? PostgresTransactionError else { return error }
        return wrapper.beginError ?? wrapper.closureError ?? wrapper.commitError ?? error
    }

    /// The server's SQLSTATE for `error`, if the server refused something.
    static func sqlState(of error: any Error) -> String? {
        (unwrapped(error) as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Whether `error` is one an outage causes, which the same operation can outlive.
    static func isTransient(_ error: any Error) -> Bool {
        let error = unwrapped(error)
        if let error = error as? PSQLError {
            switch error.code {
            case .serverClosedConnection, .connectionError, .uncleanShutdown, .messageDecodingFailure,
                 .unexpectedBackendMessage:
                return true
            case .clientClosedConnection:
                // The client closes a connection on the server's FATAL (57P01 of a fast shutdown)
                // and fails the query in flight with this code, the server's error underneath.
                return error.underlying.map(isTransient) ?? true
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || transientStates.contains(state)
            default:
                return false
            }
        }
        return error is ChannelError || error is IOError || error is StatementTimedOut
    }

    /// `error` as a person needs it, without secrets: the client's code, the server's message,
    /// the underlying cause (PSQLError's own description says only that it hides them).
    static func describe(_ error: any Error) -> String {
        guard let error = unwrapped(error) as? PSQLError else { return "\(unwrapped(error))" }
        var parts = ["\(error.code)"]
        if let message = error.serverInfo?[.message] { parts.append("the server said: \(message)") }
        if let underlying = error.underlying { parts.append("\(underlying)") }
        return parts.joined(separator: "; ")
    }
}

/// A statement that got no answer within its bound: most likely sent on a connection that died
/// unseen (a server restarted or killed under it); the next try gets a fresh one.
struct StatementTimedOut: Error, CustomStringConvertible {
    var operation: String
    var limit: Duration
    var description: String { "no answer within \(limit) while \(operation)" }
}

extension QueueDatabase {
    /// `body`, bounded by `limit`: past it, the try is abandoned (not waited for) and
    /// ``StatementTimedOut`` thrown, an outage's error, so callers try again as after any.
    func bounded<Value: Sendable>(_ operation: String, limit: Duration,
                                  _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        guard let value = try await Self.within(limit, body) else { throw StatementTimedOut(operation: operation, limit: limit) }
        return value
    }

    /// Runs `body`, again with back-off (from 100 ms, doubled up to 5 s) while it fails with an
    /// outage's errors; a try that waits for a connection is bounded too. Past `tolerance`
    /// from the start, throws ``DistributedPoolError/databaseUnavailable(_:)`` naming the
    /// server, `operation` and the last cause. `body` must be safe to run again: its effect
    /// may have been committed by a try whose reply was lost.
    func retryingThroughOutages<Value: Sendable>(
        _ operation: String, tolerance: Duration, _ body: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let deadline = ContinuousClock.now + tolerance
        // One try may not use up the whole tolerance: a query sent on a connection that died
        // unseen (a killed server) can wait for ever, and the next try gets a fresh one.
        let perTry = max(.seconds(5), tolerance / 4)
        var pause = Duration.milliseconds(100)
        var lastCause = "no connection came"
        while true {
            let remaining = min(deadline - .now, perTry)
            do {
                if let value = try await Self.within(remaining, body) { return value }
                lastCause = "no answer within \(remaining)"
            } catch {
                guard Outage.isTransient(error), !Task.isCancelled else { throw error }
                lastCause = Outage.describe(error)
                logger.warning("database unavailable; trying again", metadata: [
                    "operation": "\(operation)", "cause": "\(lastCause)", "retryIn": "\(pause)"])
            }
            try Task.checkCancellation()
            guard ContinuousClock.now + pause < deadline else {
                throw DistributedPoolError.databaseUnavailable(
                    "\(endpoint) could not be used for \(tolerance) while \(operation): \(lastCause)")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    /// `body`'s value, or nil if it takes longer than `limit`. It is cancelled then, and not
    /// waited for: a query on a connection that died unseen may not notice its cancellation.
    static func within<Value: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Value)
        async throws -> Value? {
        guard limit > .zero else { return nil }
        let race = Race<Value>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value?, any Error>) in
                race.start(continuation, limit: limit, body)
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }
}

/// The first of a body's result, its deadline and its caller's cancellation; the others are
/// cancelled.
private final class Race<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value?, any Error>?
        var finished: Result<Value?, any Error>?
        var tasks: [Task<Void, Never>] = []
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<Value?, any Error>, limit: Duration,
               _ body: @escaping @Sendable () async throws -> Value) {
        let early = state.withLock { state -> Result<Value?, any Error>? in
            if let finished = state.finished { return finished }
            state.continuation = continuation
            return nil
        }
        if let early {
            continuation.resume(with: early)
            return
        }
        let running = Task {
            do { self.finish(.success(try await body())) } catch { self.finish(.failure(error)) }
        }
        let timer = Task {
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            self.finish(.success(nil))
        }
        let lateTasks = state.withLock { state -> [Task<Void, Never>] in
            if state.finished != nil { return [running, timer] }
            state.tasks = [running, timer]
            return []
        }
        for task in lateTasks { task.cancel() }
    }

    func finish(_ result: Result<Value?, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<Value?, any Error>?, [Task<Void, Never>]) in
            guard state.finished == nil else { return (nil, []) }
            state.finished = result
            defer {
                state.continuation = nil
                state.tasks = []
            }
            return (state.continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}
#endif  // Postgres
