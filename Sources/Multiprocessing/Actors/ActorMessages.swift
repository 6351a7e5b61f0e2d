// The bodies of the actor frames on a worker's channel (parent to actor host: `actorCreate`,
// `actorCall`; back: `actorReply`), written by hand like the pool's messages.

/// Parent to host: create the actor `serial` of type `typeName` (a mangled name).
struct ActorCreateMessage: Equatable {
    var callID: UInt64
    var id: ProcessActorID
    var typeName: String

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 32 + typeName.utf8.count)
        writer.write(callID)
        writer.write(id.system)
        writer.write(id.serial)
        writer.write(id.ownerPID)
        writer.write(typeName)
        return writer.finish()
    }

    init(callID: UInt64, id: ProcessActorID, typeName: String) {
        self.callID = callID
        self.id = id
        self.typeName = typeName
    }

    init(decoding body: [UInt8]) throws(WireError) {
        var reader = ByteReader(body)
        callID = try reader.read(UInt64.self)
        id = ProcessActorID(system: try reader.read(UInt64.self), serial: try reader.read(UInt64.self),
                            ownerPID: try reader.read(Int32.self))
        typeName = try reader.readString()
    }
}

/// Parent to host: call `target` (the distributed method's identifier) on actor `serial`.
struct ActorCallMessage: Equatable, Sendable {
    var callID: UInt64
    var serial: UInt64
    var target: String
    /// Mangled names of the generic substitutions of a generic method.
    var generics: [String]
    /// Each argument, encoded with the binary coder.
    var arguments: [[UInt8]]

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 32 + target.utf8.count + arguments.reduce(0) { $0 + $1.count + 5 })
        writer.write(callID)
        writer.write(serial)
        writer.write(target)
        writer.writeVarint(generics.count)
        for name in generics { writer.write(name) }
        writer.writeVarint(arguments.count)
        for argument in arguments { writer.writeLengthPrefixed(argument) }
        return writer.finish()
    }

    init(callID: UInt64, serial: UInt64, target: String, generics: [String], arguments: [[UInt8]]) {
        self.callID = callID
        self.serial = serial
        self.target = target
        self.generics = generics
        self.arguments = arguments
    }

    init(decoding body: [UInt8]) throws(WireError) {
        var reader = ByteReader(body)
        callID = try reader.read(UInt64.self)
        serial = try reader.read(UInt64.self)
        target = try reader.readString()
        generics = []
        for _ in 0..<(try reader.readLength()) { generics.append(try reader.readString()) }
        arguments = []
        for _ in 0..<(try reader.readLength()) { arguments.append(try reader.readLengthPrefixed()) }
    }
}

/// Host to parent: how a create or a call ended.
struct ActorReplyMessage: Equatable, Sendable {
    enum Kind: UInt8, Sendable {
        /// `payload` is the encoded result.
        case returned = 1
        case returnedVoid = 2
        /// The actor threw a `Codable` error: `typeName` is its mangled type, `payload` its value.
        case threwCodable = 3
        /// The actor threw another error: `typeName` and `message` describe it.
        case threw = 4
        /// The call or the creation could not be made (`message` says why).
        case failed = 5
        case created = 6
    }

    var callID: UInt64
    var kind: Kind
    var typeName: String = ""
    var message: String = ""
    var payload: [UInt8] = []

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 24 + typeName.utf8.count + message.utf8.count + payload.count)
        writer.write(callID)
        writer.write(kind.rawValue)
        writer.write(typeName)
        writer.write(message)
        writer.writeLengthPrefixed(payload)
        return writer.finish()
    }

    init(callID: UInt64, kind: Kind, typeName: String = "", message: String = "", payload: [UInt8] = []) {
        self.callID = callID
        self.kind = kind
        self.typeName = typeName
        self.message = message
        self.payload = payload
    }

    init(decoding body: [UInt8]) throws(WireError) {
        var reader = ByteReader(body)
        callID = try reader.read(UInt64.self)
        let byte = try reader.readByte()
        guard let kind = Kind(rawValue: byte) else { throw WireError.unexpectedByte(byte, context: "an actor reply's kind") }
        self.kind = kind
        typeName = try reader.readString()
        message = try reader.readString()
        payload = try reader.readLengthPrefixed()
    }
}
