/// The identity of a distributed actor of a ``ProcessActorSystem``: which system made it, and
/// which of that system's actors it is.
///
/// It is `Codable`: put it in a job, a message or another call's arguments, and resolve it in
/// the process that receives it. It stays the same across restarts of the actor's process.
public struct ProcessActorID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A random number that names the owning system (pids are reused; this is not).
    public let system: UInt64
    /// The actor's number within its system.
    public let serial: UInt64
    /// The pid of the process whose system owns the actor.
    public let ownerPID: Int32

    public var description: String { "actor \(serial) of system \(String(system, radix: 16)) (pid \(ownerPID))" }
}
