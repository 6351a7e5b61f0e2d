import Distributed

/// Records a distributed call's arguments for the trip to the actor's process, each encoded
/// with the package's binary coder.
public struct ProcessActorInvocationEncoder: DistributedTargetInvocationEncoder {
    public typealias SerializationRequirement = any Codable

    var generics: [String] = []
    var arguments: [[UInt8]] = []

    public mutating func recordGenericSubstitution<T>(_ type: T.Type) throws {
        guard let name = _mangledTypeName(type) else {
            throw ProcessActorError.invocationFailed("the generic argument \(type) has no mangled name")
        }
        generics.append(name)
    }

    public mutating func recordArgument<Value: Codable>(_ argument: RemoteCallArgument<Value>) throws {
        do {
            arguments.append(try BinaryEncoder().encode(argument.value))
        } catch {
            throw ProcessActorError.invocationFailed("cannot encode the argument \(argument.label ?? argument.name): \(error)")
        }
    }

    public mutating func recordErrorType<E: Error>(_ type: E.Type) throws {}

    public mutating func recordReturnType<R: Codable>(_ type: R.Type) throws {}

    public mutating func doneRecording() throws {}
}
