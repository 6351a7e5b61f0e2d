#if Dashboard
import Foundation
import MultiprocessingPostgres

/// Keeps the database's secrets out of every response: the URL as given and its password are
/// replaced wherever they would appear (an error's text, say), as the logs show the URL
/// without its password (``PostgresConnectionSettings/description``).
struct Redactor: Sendable {
    private let secrets: [String]
    /// The database as it may be shown.
    let database: String

    init(url: String) throws {
        let settings = try PostgresConnectionSettings(url: url)
        database = settings.description
        // Longest first: the URL contains the password.
        secrets = [url, settings.password ?? "", Self.encodedPassword(in: url)]
            .filter { !$0.isEmpty }
            .sorted { $0.count > $1.count }
    }

    /// The password as the URL spells it (percent-encoded), between `user:` and `@`.
    private static func encodedPassword(in url: String) -> String {
        guard let scheme = url.range(of: "://") else { return "" }
        let rest = url[scheme.upperBound...]
        guard let at = rest.firstIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return "" }
        return String(rest[rest.index(after: colon)..<at])
    }

    func scrub(_ text: String) -> String {
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: "***")
        }
        return text
    }
}
#endif  // Dashboard
