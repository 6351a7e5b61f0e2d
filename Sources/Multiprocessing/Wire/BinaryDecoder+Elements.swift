extension BinaryDecoder {
    /// Decodes elements `range` of a message that holds an array of `Element`, calling
    /// `willDecode` with each element's position before decoding it; the other elements are
    /// skipped unread (containers carry their length). A worker decodes a task's inputs so: an
    /// input whose `init(from:)` traps then kills only the task that holds it, and is named.
    func decodeElements<Element: Decodable>(
        _: Element.Type, _ range: Range<Int>, from reader: inout ByteReader, willDecode: (Int) -> Void
    ) throws -> [Element] {
        let bytes = reader.bytes
        let end = min(reader.end, bytes.count)
        var position = reader.position
        let state = BinaryDecodingState(bytes: bytes)
        let bodyLength = Int(try state.readUInt32(&position, limit: end))
        guard bodyLength <= end - position else {
            throw WireError.lengthTooLarge(claimed: UInt64(bodyLength), limit: end - position)
        }
        let bodyStart = position, bodyEnd = position + bodyLength
        var tableEnd = bodyEnd
        try state.readKeyTable(&tableEnd, limit: end)
        guard try state.valueEnd(from: bodyStart, limit: bodyEnd) == bodyEnd else {
            throw WireError.malformed("message body holds bytes after its value")
        }
        var cursor = bodyStart
        guard try state.tag(&cursor, limit: bodyEnd) == BinaryTag.array else {
            // A typed array (plain numbers, bytes) decodes whole: its elements cannot fail alone.
            let all = try decode([Element].self, from: &reader)
            guard range.upperBound <= all.count else {
                throw WireError.malformed("items \(range) of a chunk of \(all.count)")
            }
            return Array(all[range])
        }
        let length = Int(try state.readUInt32(&cursor, limit: bodyEnd))
        guard length >= 4, length <= bodyEnd - cursor else {
            throw WireError.lengthTooLarge(claimed: UInt64(length), limit: bodyEnd - cursor)
        }
        let arrayEnd = cursor + length
        let count = Int(try state.readUInt32(&cursor, limit: arrayEnd))
        guard range.upperBound <= count else { throw WireError.malformed("items \(range) of a chunk of \(count)") }
        var elements: [Element] = []
        elements.reserveCapacity(range.count)
        for index in 0..<range.upperBound {
            let elementEnd = try state.valueEnd(from: cursor, limit: arrayEnd)
            if index >= range.lowerBound {
                willDecode(index)
                elements.append(try state.decodeValue(Element.self, start: cursor, end: elementEnd, path: .index(index)))
                if let error = state.deferredError { throw error }
            }
            cursor = elementEnd
        }
        _ = try reader.skip(count: tableEnd - reader.position)
        return elements
    }
}
