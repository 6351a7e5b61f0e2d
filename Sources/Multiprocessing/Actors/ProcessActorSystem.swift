import Distributed
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A `DistributedActorSystem` whose actors live in processes of their own: Python's
/// `multiprocessing.Manager`, Ray's actors, in Swift's own form.
///
/// ```swift
/// let system = ProcessActorSystem()
/// let counter = try await system.spawn(Counter.self)   // a child process now holds the counter
/// try await counter.add(5)                               // an ordinary distributed call
/// ```
///
/// Each actor made by ``spawn(_:options:)`` runs in a child process started like a pool's
/// worker (the same executable, dying with the parent), and calls travel over that worker's
/// channel: arguments, results and `Codable` errors in the package's binary coder. Calls from
/// one caller run in the order they were made, and the actor runs one call at a time, to the end
/// (a method's own `await`s do not let another call in). A crash fails the calls in flight with a
/// ``JobFailure`` naming the cause; ``ProcessActorOptions`` restart the process and bound a call.
///
/// Releasing the system (every reference to it, the actors' references included) kills its
/// actors' processes; ``shutDown()`` ends them in order.
public final class ProcessActorSystem: DistributedActorSystem, Sendable {
    public typealias ActorID = ProcessActorID
    public typealias InvocationEncoder = ProcessActorInvocationEncoder
    public typealias InvocationDecoder = ProcessActorInvocationDecoder
    public typealias ResultHandler = ProcessActorResultHandler
    public typealias SerializationRequirement = any Codable

    /// The system of this process that actors hosted in it belong to, and that any process can
    /// use to call an actor whose id it was given.
    public static let shared = ProcessActorSystem()

    /// While a host creates an actor, the id its parent chose for it.
    @TaskLocal static var assigning: ProcessActorID?

    private struct WeakActor {
        weak var actor: (any DistributedActor)?
    }

    private struct State {
        var nextSerial: UInt64 = 1
        var hosts: [UInt64: ActorHostCore] = [:]
        var local: [ProcessActorID: WeakActor] = [:]
        var isShutDown = false
    }

    let nonce = UInt64.random(in: 1...UInt64.max)
    private let state = Mutex(State())

    /// A system with no actors yet.
    public init() {}

    deinit {
        for core in state.withLock({ $0.hosts.values }) { core.kill() }
    }

    func makeID() -> ProcessActorID {
        let serial = state.withLock { state in
            defer { state.nextSerial += 1 }
            return state.nextSerial
        }
        return ProcessActorID(system: nonce, serial: serial, ownerPID: getpid())
    }

    func register(_ core: ActorHostCore) throws {
        try state.withLock { state in
            guard !state.isShutDown else { throw ProcessActorError.actorStopped(core.id, cause: "its system was shut down") }
            state.hosts[core.id.serial] = core
        }
    }

    /// The host of an actor this system made, if it did.
    func host(of id: ProcessActorID) -> ActorHostCore? {
        guard id.system == nonce else { return nil }
        return state.withLock { $0.hosts[id.serial] }
    }

    func markShutDown() -> [ActorHostCore] {
        state.withLock { state in
            state.isShutDown = true
            return Array(state.hosts.values)
        }
    }

    // MARK: DistributedActorSystem

    public func resolve<Act>(id: ActorID, as actorType: Act.Type) throws -> Act?
    where Act: DistributedActor, Act.ID == ActorID {
        // An actor of this process is itself; any other id gets a proxy whose calls go to its host.
        state.withLock { $0.local[id]?.actor as? Act }
    }

    public func assignID<Act>(_ actorType: Act.Type) -> ActorID
    where Act: DistributedActor, Act.ID == ActorID {
        Self.assigning ?? makeID()
    }

    public func actorReady<Act>(_ actor: Act) where Act: DistributedActor, Act.ID == ActorID {
        state.withLock { $0.local[actor.id] = WeakActor(actor: actor) }
    }

    public func resignID(_ id: ActorID) {
        state.withLock { _ = $0.local.removeValue(forKey: id) }
    }

    public func makeInvocationEncoder() -> InvocationEncoder {
        InvocationEncoder()
    }

    public func remoteCall<Act, Err, Res>(
        on actor: Act, target: RemoteCallTarget, invocation: inout InvocationEncoder,
        throwing: Err.Type, returning: Res.Type
    ) async throws -> Res where Act: DistributedActor, Act.ID == ActorID, Err: Error, Res: Codable {
        let reply = try await send(to: actor.id, target: target, invocation: invocation)
        guard reply.kind == .returned else { throw Self.error(for: reply, target: target) }
        do {
            return try BinaryDecoder().decode(Res.self, from: reply.payload)
        } catch {
            throw ProcessActorError.invocationFailed("cannot decode the result of \(target) as \(Res.self): \(error)")
        }
    }

    public func remoteCallVoid<Act, Err>(
        on actor: Act, target: RemoteCallTarget, invocation: inout InvocationEncoder, throwing: Err.Type
    ) async throws where Act: DistributedActor, Act.ID == ActorID, Err: Error {
        let reply = try await send(to: actor.id, target: target, invocation: invocation)
        guard reply.kind == .returnedVoid else { throw Self.error(for: reply, target: target) }
    }

    private func send(to id: ActorID, target: RemoteCallTarget, invocation: InvocationEncoder) async throws -> ActorReplyMessage {
        let message = ActorCallMessage(callID: 0, serial: id.serial, target: target.identifier,
                                       generics: invocation.generics, arguments: invocation.arguments)
        if let host = host(of: id) {
            return try await host.call(message)
        }
        throw ProcessActorError.unknownActor(id)
    }

    static func error(for reply: ActorReplyMessage, target: RemoteCallTarget) -> any Error {
        switch reply.kind {
        case .threwCodable: return ActorErrorTransport.error(from: reply)
        case .threw: return ProcessActorError.threw(errorType: reply.typeName, message: reply.message)
        case .failed: return ProcessActorError.invocationFailed(reply.message)
        case .returned, .returnedVoid, .created:
            return ProcessActorError.invocationFailed("\(target) answered with a \(reply.kind) reply")
        }
    }
}
