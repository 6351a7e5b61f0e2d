/// Carries an error an actor threw to its caller: a `Codable` error travels as its mangled type
/// and value and is thrown again as itself; any other as ``ProcessActorError/threw(errorType:message:)``.
enum ActorErrorTransport {
    static func reply(callID: UInt64, for error: any Error) -> ActorReplyMessage {
        if let actorError = error as? ProcessActorError, case .invocationFailed = actorError {
            return ActorReplyMessage(callID: callID, kind: .failed, message: actorError.description)
        }
        let (type, text) = describeThrown(error)
        if error is any Decodable, let encodable = error as? any Encodable,
           let name = typeName(of: error),
           let bytes = try? BinaryEncoder().encode(encodable) {
            return ActorReplyMessage(callID: callID, kind: .threwCodable, typeName: name, message: text, payload: bytes)
        }
        return ActorReplyMessage(callID: callID, kind: .threw, typeName: type, message: text)
    }

    /// The mangled name of the error's dynamic type, if a caller can find the type by it.
    private static func typeName(of error: any Error) -> String? {
        let dynamicType = Swift.type(of: error)
        guard let name = _mangledTypeName(dynamicType), JobTypeName.resolve(name) == dynamicType else { return nil }
        return name
    }

    /// The error to throw in the caller for a `threwCodable` reply.
    static func error(from reply: ActorReplyMessage) -> any Error {
        guard let type = JobTypeName.resolve(reply.typeName) as? any (Error & Decodable).Type else {
            return ProcessActorError.threw(errorType: reply.typeName, message: reply.message)
        }
        do {
            return try decode(type, reply.payload)
        } catch {
            return ProcessActorError.threw(errorType: String(reflecting: type), message: reply.message)
        }
    }

    private static func decode<E: Error & Decodable>(_ type: E.Type, _ bytes: [UInt8]) throws -> any Error {
        try BinaryDecoder().decode(E.self, from: bytes)
    }
}
