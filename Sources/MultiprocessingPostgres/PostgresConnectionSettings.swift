#if Postgres
import Foundation
import PostgresNIO

/// Where a queue's database is and how to reach it, read from a connection URL:
/// `postgres://user:password@host:5432/database?sslmode=require`, or a Unix socket with
/// `postgres://user@/database?host=/run/postgresql`.
///
/// `sslmode` is `disable`, `prefer` (the default: TLS when the server offers it) or `require`
/// (TLS, or no connection). With TLS the server's certificate is verified against the system's
/// trust roots, or against the CA certificates of the PEM file that `sslrootcert` names (as in
/// libpq). The password never appears in ``description`` or in any log line.
public struct PostgresConnectionSettings: Sendable, CustomStringConvertible {
    /// How the connection is encrypted.
    public enum TLSMode: String, Sendable {
        /// `disable`: no TLS; `prefer`: TLS when the server offers it; `require`: TLS, or no connection.
        case disable, prefer, require
    }

    /// The server's host name or address.
    public var host: String
    /// The server's port (5432 unless the URL gives one).
    public var port: Int
    /// The directory of the server's Unix socket, when the URL names one instead of a host.
    public var socketDirectory: String?
    /// The role to connect as.
    public var username: String
    /// The password, if the URL has one (never shown in ``description``).
    public var password: String?
    /// The database, if the URL names one.
    public var database: String?
    /// How the connection is encrypted (the URL's `sslmode`).
    public var tls: TLSMode
    /// A PEM file of the CA certificates to trust instead of the system's (`sslrootcert`).
    public var rootCertificatePath: String?

    /// Reads a `postgres://` or `postgresql://` URL.
    public init(url: String) throws(DistributedPoolError) {
        guard let components = URLComponents(string: url),
              let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql" else {
            throw .invalidConfiguration("not a postgres:// URL (the URL itself is not shown: it may hold a password)")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") },
                               uniquingKeysWith: { _, last in last })
        guard let user = components.user, !user.isEmpty else {
            throw .invalidConfiguration("the connection URL names no user")
        }
        username = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? nil : path
        port = components.port ?? Int(query["port"] ?? "") ?? 5432
        if let directory = query["host"], directory.hasPrefix("/") {
            socketDirectory = directory
            host = "localhost"
        } else {
            host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        }
        let mode = query["sslmode"] ?? "prefer"
        guard let tls = TLSMode(rawValue: mode) else {
            throw .invalidConfiguration("sslmode must be disable, prefer or require, not \(mode)")
        }
        self.tls = tls
        rootCertificatePath = query["sslrootcert"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The URL without its password.
    public var description: String {
        let place = socketDirectory.map { "?host=\($0)" } ?? ""
        let at = socketDirectory == nil ? "\(host):\(port)" : ""
        return "postgres://\(username)@\(at)/\(database ?? "")\(place)\(place.isEmpty ? "?" : "&")sslmode=\(tls.rawValue)"
    }

    /// The client settings every connection of the pool uses (for the fault runner's own looks at the tables).
    @_spi(Testing)
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username,
                                  password: password, database: database)
        } else {
            var verification = TLSConfiguration.makeClientConfiguration()
            if let rootCertificatePath { verification.trustRoots = .file(rootCertificatePath) }
            let tlsSetting: PostgresClient.Configuration.TLS
            switch tls {
            case .disable: tlsSetting = .disable
            case .prefer: tlsSetting = .prefer(verification)
            case .require: tlsSetting = .require(verification)
            }
            configuration = .init(host: host, port: port, username: username, password: password,
                                  database: database, tls: tlsSetting)
        }
        configuration.options.maximumConnections = 8
        return configuration
    }
}
#endif  // Postgres
