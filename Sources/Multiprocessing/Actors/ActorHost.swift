import Distributed

/// The actor host's side, in the child: creates the actors the parent asks for and runs their
/// calls, one at a time in the order they arrive (the worker loop awaits each before it reads
/// the next frame), replying on the worker's channel.
final class ActorHost {
    /// The actors this process hosts, kept alive until it exits.
    private var actors: [UInt64: any ProcessHostedActor] = [:]

    func handle(_ frame: Frame, reply: (ActorReplyMessage) -> Void) async throws {
        switch frame.kind {
        case .actorCreate:
            reply(create(try ActorCreateMessage(decoding: frame.body)))
        case .actorCall:
            reply(await call(try ActorCallMessage(decoding: frame.body)))
        default:
            break
        }
    }

    private func create(_ message: ActorCreateMessage) -> ActorReplyMessage {
        guard let type = JobTypeName.resolve(message.typeName) else {
            return ActorReplyMessage(callID: message.callID, kind: .failed,
                                     message: "no type named \(message.typeName) in this executable")
        }
        guard let actorType = type as? any ProcessHostedActor.Type else {
            return ActorReplyMessage(callID: message.callID, kind: .failed,
                                     message: "\(String(reflecting: type)) is not a ProcessHostedActor")
        }
        // The system gives the new actor the parent's id (see `assignID`).
        let actor = ProcessActorSystem.$assigning.withValue(message.id) {
            actorType.init(actorSystem: .shared)
        }
        actors[message.id.serial] = actor
        return ActorReplyMessage(callID: message.callID, kind: .created)
    }

    private func call(_ message: ActorCallMessage) async -> ActorReplyMessage {
        guard let actor = actors[message.serial] else {
            return ActorReplyMessage(callID: message.callID, kind: .failed,
                                     message: "this process hosts no actor \(message.serial)")
        }
        let handler = ProcessActorResultHandler(callID: message.callID)
        var decoder = ProcessActorInvocationDecoder(message)
        do {
            try await ProcessActorSystem.shared.executeDistributedTarget(
                on: actor, target: RemoteCallTarget(message.target), invocationDecoder: &decoder, handler: handler)
        } catch {
            handler.fail("\(message.target): \(error)")
        }
        return handler.takeReply()
    }
}
