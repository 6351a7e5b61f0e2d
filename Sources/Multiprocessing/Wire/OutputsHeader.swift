/// Reads how many outputs an encoded `[Output]` says it holds, from its first bytes only (see
/// `BinaryFormat.swift`: a message's u32 body length, then an array's or a typed array's header).
///
/// The parent reads it on the reactor thread to refuse a results message whose outputs do not
/// match its items before any of it is delivered, without knowing `Output` and without decoding
/// the values (that happens on the caller's side, in ``PieceDecoding``).
enum OutputsHeader {
    /// The element count the bytes declare, or nil when they do not begin an array message
    /// whose declared sizes fit in them.
    static func elementCount(_ payload: Payload) -> Int? {
        var reader = payload.reader()
        do {
            let bodyLength = Int(try reader.read(UInt32.self))
            guard bodyLength <= reader.remaining else { return nil }
            switch try reader.readByte() {
            case BinaryTag.array:
                let arrayLength = Int(try reader.read(UInt32.self))
                let count = Int(try reader.read(UInt32.self))
                // The array's body holds its count and at least a tag per element.
                guard arrayLength >= 4, arrayLength <= bodyLength - 5, count <= arrayLength - 4 else { return nil }
                return count
            case BinaryTag.typedArray:
                guard let width = BinaryTag.scalarWidth(try reader.readByte()) else { return nil }
                return try reader.readLength(unitSize: width)
            default:
                return nil
            }
        } catch {
            return nil
        }
    }
}
