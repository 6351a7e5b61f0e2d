import Distributed

/// Named values of any `Codable` types, in a process of their own: Python's
/// `Manager().Namespace()` (`ns.x = 1` is `try await ns.set("x", 1)`).
public distributed actor SharedNamespace: ProcessHostedActor {
    public typealias ActorSystem = ProcessActorSystem
    private var values: [String: [UInt8]] = [:]

    /// Creates an empty namespace, in the actor's own process: the system calls this there; a program
    /// creates one with `ProcessActorSystem.spawn`.
    public init(actorSystem: ProcessActorSystem) {
        self.actorSystem = actorSystem
    }

    /// `ns.name = value`.
    public distributed func set(_ name: String, encoded bytes: [UInt8]) {
        values[name] = bytes
    }

    /// The bytes stored under `name` (see ``get(_:as:)``).
    public distributed func encoded(_ name: String) -> [UInt8]? { values[name] }

    /// The names set so far.
    public distributed func names() -> [String] { values.keys.sorted() }
}

extension SharedNamespace {
    /// `ns.name = value`, for any `Codable` value.
    nonisolated public func set<V: Codable>(_ name: String, _ value: V) async throws {
        try await set(name, encoded: BinaryEncoder().encode(value))
    }

    /// `ns.name`, decoded as `type`; nil when nothing was set under `name`.
    nonisolated public func get<V: Codable>(_ name: String, as type: V.Type = V.self) async throws -> V? {
        guard let bytes = try await encoded(name) else { return nil }
        return try BinaryDecoder().decode(V.self, from: bytes)
    }
}
