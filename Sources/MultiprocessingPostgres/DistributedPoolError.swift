#if Postgres
/// A misuse of a distributed pool, or a database that cannot be used.
public enum DistributedPoolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection URL or an option is wrong (says which and why).
    case invalidConfiguration(String)
    /// The database holds a newer schema than this build knows: upgrade this program.
    case schemaTooNew(found: Int, supported: Int)
    /// An input or output is larger than the pool's payload cap.
    case payloadTooLarge(bytes: Int, limit: Int)
    /// No job with this id is in the queue (finished long ago and removed, or never made).
    case unknownJob(Int64)
    /// A job was re-attached with another output type than it was submitted with.
    case outputTypeMismatch(expected: String, found: String)
    /// No connection to the database could be made in time (the reason is in the log:
    /// a wrong address or password, a server that is down, a certificate not trusted).
    case cannotConnect(String)
    /// A worker host stopped because its local worker pool failed (its workers cannot start,
    /// for instance because its executable was replaced under it): it handed back the tasks it
    /// held, at no attempt's cost, and claimed no more. Restart it.
    case localPoolFailed(String)
    /// The database could not be used for longer than the pool's outage tolerance: says which
    /// server, during what, and the last cause (without secrets).
    case databaseUnavailable(String)
    /// The pool was closed.
    case closed

    public var description: String {
        switch self {
        case let .invalidConfiguration(why): return "invalid configuration: \(why)"
        case let .schemaTooNew(found, supported):
            return "the queue's schema is version \(found); this build knows versions up to \(supported): upgrade it"
        case let .payloadTooLarge(bytes, limit): return "a payload of \(bytes) bytes exceeds the cap of \(limit) bytes"
        case let .unknownJob(id): return "no job \(id) in this queue"
        case let .outputTypeMismatch(expected, found):
            return "job was submitted with output type \(found), not \(expected)"
        case let .cannotConnect(what): return "cannot connect to the queue's database: \(what)"
        case let .localPoolFailed(why):
            return "the worker host's local worker pool failed (\(why)); it handed its tasks back and stopped claiming"
        case let .databaseUnavailable(what): return "database unavailable: \(what)"
        case .closed: return "the distributed pool is closed"
        }
    }
}
#endif  // Postgres
