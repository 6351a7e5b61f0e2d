#if Postgres
import PostgresNIO

/// A statement the server refused for what it holds (a value, a constraint, a trigger), as
/// opposed to a connection lost or a server shutting down: sending the same rows again would
/// fail again, so a batch refused this way is split to find the row at fault instead.
struct ServerRefusal: Error {
    /// The server's message, storable (no values of the connection URL are in it).
    let message: String

    /// SQLSTATE classes of errors that pass: connection exceptions (08), serialization failures
    /// and deadlocks (40), insufficient resources (53), operator intervention such as a shutdown
    /// (57), system errors (58).
    private static let transientClasses: Set<Substring> = ["08", "40", "53", "57", "58"]

    init?(_ error: any Error) {
        guard let error = error as? PSQLError, error.code == .server else { return nil }
        let sqlState = error.serverInfo?[.sqlState] ?? ""
        guard !Self.transientClasses.contains(sqlState.prefix(2)) else { return nil }
        message = StorableText.make("\(error.serverInfo?[.message] ?? "refused") (SQLSTATE \(sqlState))", limit: 1_024)
    }
}
#endif  // Postgres
