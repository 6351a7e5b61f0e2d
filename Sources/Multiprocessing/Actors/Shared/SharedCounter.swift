import Distributed

/// A counter in a process of its own (Python's `Manager().Value('i', 0)` used as a counter).
///
/// ```swift
/// let hits = try await system.spawn(SharedCounter.self)
/// try await hits.add(1)
/// ```
public distributed actor SharedCounter: ProcessHostedActor {
    public typealias ActorSystem = ProcessActorSystem
    private var value = 0

    /// Creates a counter at 0, in the actor's own process: the system calls this there; a program
    /// creates one with `ProcessActorSystem.spawn`.
    public init(actorSystem: ProcessActorSystem) {
        self.actorSystem = actorSystem
    }

    /// Adds `amount` and returns the new value.
    @discardableResult
    public distributed func add(_ amount: Int) -> Int {
        value += amount
        return value
    }

    /// The current value.
    public distributed func get() -> Int { value }

    /// Sets the value and returns the one before.
    @discardableResult
    public distributed func set(_ newValue: Int) -> Int {
        defer { value = newValue }
        return value
    }
}
