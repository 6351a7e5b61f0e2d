/// How queues and pipes turn messages into bytes: the package's binary coder, whose output
/// also carries handles of IPC objects (a queue sent through a pipe attaches on arrival).
enum MessageCoding {
    static func encode<Message: Encodable>(_ message: Message) throws -> [UInt8] {
        do {
            return try BinaryEncoder().encode(message)
        } catch {
            throw IPCError.codingFailed("cannot encode \(Message.self): \(error)")
        }
    }

    static func decode<Message: Decodable>(_: Message.Type, from bytes: [UInt8]) throws -> Message {
        do {
            return try BinaryDecoder().decode(Message.self, from: bytes)
        } catch let error as IPCError {
            // A handle inside the message that cannot be attached says so itself.
            throw error
        } catch {
            throw IPCError.codingFailed("cannot decode \(Message.self): \(error)")
        }
    }
}
