#if Dashboard
/// How `mp-postgres dashboard` is started.
public struct DashboardOptions: Sendable {
    /// The database's URL (its password never leaves the server: see ``Redactor``).
    public var url: String
    /// The address the server binds.
    public var bindAddress: String
    /// The port (0: one the system picks; the server prints the one it got).
    public var port: Int
    /// The one queue shown, or nil for every queue in the database.
    public var queue: String?
    /// The token that actions must carry (`Authorization: Bearer <token>`), or nil.
    public var token: String?
    /// How often the server reads the queues (the page polls as often; every browser reads the same snapshot).
    public var sampleInterval: Duration

    /// Options with the defaults of the command.
    public init(url: String, bindAddress: String = "127.0.0.1", port: Int = 8080, queue: String? = nil,
                token: String? = nil, sampleInterval: Duration = .seconds(1)) {
        self.url = url
        self.bindAddress = bindAddress
        self.port = port
        self.queue = queue
        self.token = token
        self.sampleInterval = sampleInterval
    }

    /// Who may use the actions (cancel a job, retry a dead task, drain a host).
    public var actionPolicy: ActionPolicy {
        if let token, !token.isEmpty { return .token(token) }
        return Self.isLoopback(bindAddress) ? .loopbackOpen : .readOnly
    }

    /// Whether `address` is reachable from this machine only.
    static func isLoopback(_ address: String) -> Bool {
        address == "localhost" || address == "::1" || address.hasPrefix("127.")
    }
}

/// Who may use a dashboard's actions.
public enum ActionPolicy: Sendable, Equatable {
    /// Requests that carry the token.
    case token(String)
    /// Anyone who reaches the server: no token was given, and it is bound to loopback.
    case loopbackOpen
    /// Nobody: no token was given, and the server is reachable from other machines.
    case readOnly

    /// What the page is told (never the token itself).
    var name: String {
        switch self {
        case .token: "token"
        case .loopbackOpen: "loopback"
        case .readOnly: "read-only"
        }
    }
}
#endif  // Dashboard
