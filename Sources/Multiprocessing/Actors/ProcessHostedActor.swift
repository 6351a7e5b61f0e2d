import Distributed

/// A distributed actor that a ``ProcessActorSystem`` can create in a process of its own.
///
/// ```swift
/// distributed actor Counter: ProcessHostedActor {
///     typealias ActorSystem = ProcessActorSystem
///     var value = 0
///     distributed func add(_ n: Int) -> Int { value += n; return value }
/// }
/// ```
///
/// The child process finds the type by its mangled name, as it finds a job's, so declare it at
/// file scope. Every stored property needs a starting value (or write `init(actorSystem:)`):
/// the child creates the actor with that initializer, fresh after every restart.
public protocol ProcessHostedActor: DistributedActor where ActorSystem == ProcessActorSystem {
    /// Creates the actor, fresh, in its own process (at its start and after every restart).
    init(actorSystem: ProcessActorSystem)
}
