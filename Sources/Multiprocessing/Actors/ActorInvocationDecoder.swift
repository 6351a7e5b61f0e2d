import Distributed

/// Hands a distributed call's arguments to the actor in its process, decoding each with the
/// package's binary coder.
public struct ProcessActorInvocationDecoder: DistributedTargetInvocationDecoder {
    public typealias SerializationRequirement = any Codable

    private let message: ActorCallMessage
    private var next = 0

    init(_ message: ActorCallMessage) {
        self.message = message
    }

    public mutating func decodeGenericSubstitutions() throws -> [any Any.Type] {
        try message.generics.map { name in
            guard let type = JobTypeName.resolve(name) else {
                throw ProcessActorError.invocationFailed("no type named \(name) in the actor's process")
            }
            return type
        }
    }

    public mutating func decodeNextArgument<Argument: Codable>() throws -> Argument {
        guard next < message.arguments.count else {
            throw ProcessActorError.invocationFailed("\(message.target) was sent \(message.arguments.count) argument(s), fewer than it takes")
        }
        defer { next += 1 }
        do {
            return try BinaryDecoder().decode(Argument.self, from: message.arguments[next])
        } catch {
            throw ProcessActorError.invocationFailed("cannot decode argument \(next + 1) of \(message.target) as \(Argument.self): \(error)")
        }
    }

    public mutating func decodeErrorType() throws -> (any Any.Type)? { nil }

    public mutating func decodeReturnType() throws -> (any Any.Type)? { nil }
}
