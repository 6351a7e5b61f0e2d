import Distributed

/// A dictionary in a process of its own: Python's `Manager().dict()`.
///
/// ```swift
/// let scores = try await system.spawn(SharedDictionary<String, Int>.self)
/// try await scores.set("a", 1)
/// let a = try await scores.get("a")   // Optional(1)
/// ```
public distributed actor SharedDictionary<Key: Codable & Hashable & Sendable, Value: Codable & Sendable>: ProcessHostedActor {
    public typealias ActorSystem = ProcessActorSystem
    private var storage: [Key: Value] = [:]

    /// Creates an empty dictionary, in the actor's own process: the system calls this there; a program
    /// creates one with `ProcessActorSystem.spawn`.
    public init(actorSystem: ProcessActorSystem) {
        self.actorSystem = actorSystem
    }

    /// `d[key]`; nil when absent (Python's `d.get(key)`).
    public distributed func get(_ key: Key) -> Value? { storage[key] }

    /// `d[key] = value`; returns the value it replaced.
    @discardableResult
    public distributed func set(_ key: Key, _ value: Value) -> Value? { storage.updateValue(value, forKey: key) }

    /// `d.pop(key, None)`.
    @discardableResult
    public distributed func remove(_ key: Key) -> Value? { storage.removeValue(forKey: key) }

    /// `dict(d)`: a copy of everything.
    public distributed func snapshot() -> [Key: Value] { storage }

    /// `len(d)`.
    public distributed func count() -> Int { storage.count }

    /// `d.keys()`.
    public distributed func keys() -> [Key] { Array(storage.keys) }

    /// `d.clear()`.
    public distributed func removeAll() { storage.removeAll() }
}
