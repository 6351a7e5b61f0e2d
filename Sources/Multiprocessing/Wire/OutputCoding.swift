/// Encodes and decodes a ``ProcessTarget``'s output, which is `Void` (no bytes) or `Codable`.
enum TargetOutputCoding {
    static func isSupported<Output>(_: Output.Type) -> Bool {
        Output.self == Void.self || (Output.self is any Encodable.Type && Output.self is any Decodable.Type)
    }

    static func encode<Output>(_ value: Output) throws -> [UInt8] {
        if Output.self == Void.self { return [] }
        guard let encodable = value as? any Encodable else {
            throw ProcessPoolError.unsupportedOutputType(String(reflecting: Output.self))
        }
        return try BinaryEncoder().encode(encodable)
    }

    static func decode<Output>(_: Output.Type, from payload: Payload) throws -> Output {
        if Output.self == Void.self {
            guard payload.isEmpty else { throw WireError.malformed("bytes for a Void output") }
            return () as! Output
        }
        guard let decodable = Output.self as? any Decodable.Type else {
            throw ProcessPoolError.unsupportedOutputType(String(reflecting: Output.self))
        }
        var reader = payload.reader()
        let value = try BinaryDecoder().decode(decodable, from: &reader)
        guard reader.isAtEnd else { throw WireError.malformed("\(reader.remaining) bytes after an output") }
        guard let typed = value as? Output else {
            throw WireError.malformed("decoded \(type(of: value)), wanted \(Output.self)")
        }
        return typed
    }
}
