/// Why a call to a distributed actor of a ``ProcessActorSystem`` failed, when the actor did
/// not throw a `Codable` error of its own (those arrive as themselves) and its process did not
/// die (that is a ``JobFailure``, as for a pool's item).
public enum ProcessActorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The actor threw an error that is not `Codable`: its type and description.
    case threw(errorType: String, message: String)
    /// The actor is gone for good: its system was shut down or released, or its process died
    /// after its last restart (`cause` says how).
    case actorStopped(ProcessActorID, cause: String)
    /// No system in this process knows the actor, and it cannot be reached from here.
    case unknownActor(ProcessActorID)
    /// The call could not be made: an argument or result that cannot be encoded or decoded, or a
    /// method the actor's process does not have.
    case invocationFailed(String)

    public var description: String {
        switch self {
        case let .threw(type, message): return "the actor threw \(type): \(message)"
        case let .actorStopped(id, cause): return "\(id) is stopped: \(cause)"
        case let .unknownActor(id): return "\(id) is not known to any actor system of this process"
        case let .invocationFailed(why): return "the call could not be made: \(why)"
        }
    }
}
