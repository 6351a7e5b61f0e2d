import Distributed
import Synchronization

/// Turns how a distributed method ended, in the actor's process, into the reply the caller gets.
public final class ProcessActorResultHandler: DistributedTargetInvocationResultHandler {
    public typealias SerializationRequirement = any Codable

    private let callID: UInt64
    private let reply: Mutex<ActorReplyMessage?> = Mutex(nil)

    init(callID: UInt64) {
        self.callID = callID
    }

    /// The reply; a method that neither returned nor threw is reported as a failed call.
    func takeReply() -> ActorReplyMessage {
        reply.withLock { $0 } ?? ActorReplyMessage(callID: callID, kind: .failed, message: "the method did not complete")
    }

    func fail(_ why: String) {
        reply.withLock { if $0 == nil { $0 = ActorReplyMessage(callID: callID, kind: .failed, message: why) } }
    }

    public func onReturn<Success: Codable>(value: Success) async throws {
        let message: ActorReplyMessage
        do {
            message = ActorReplyMessage(callID: callID, kind: .returned, payload: try BinaryEncoder().encode(value))
        } catch {
            message = ActorReplyMessage(callID: callID, kind: .failed, message: "cannot encode the result \(Success.self): \(error)")
        }
        reply.withLock { $0 = message }
    }

    public func onReturnVoid() async throws {
        reply.withLock { $0 = ActorReplyMessage(callID: callID, kind: .returnedVoid) }
    }

    public func onThrow<Err: Error>(error: Err) async throws {
        let message = ActorErrorTransport.reply(callID: callID, for: error)
        reply.withLock { $0 = message }
    }
}
