/// Turns the pieces a call received into its outputs, off the reactor thread.
///
/// The reactor checked a piece's positions, its failures and the number of outputs its bytes
/// declare (``ResultsValidation``) before delivering it; the values are decoded here. Whatever
/// the bytes, a piece whose outputs cannot be decoded, or do not number exactly its items that did
/// not fail, fails every one of its items: no trap, and no value ever lands on another item.
enum PieceDecoding {
    /// The outputs of the piece's successful items, in order.
    static func successes<Output: Decodable>(_ piece: ResultPiece, jobType: String) throws -> [Output] {
        try checkShape(piece, jobType: jobType)
        let items = piece.firstIndex..<(piece.firstIndex + piece.count)
        let expected = piece.count - piece.failures.count
        guard expected > 0 else {
            // Nothing to decode (every item failed); the bytes must still say so.
            guard OutputsHeader.elementCount(piece.outputs) == 0 else {
                throw failure(.protocolViolation("outputs for items \(items) that all failed"), piece, jobType)
            }
            return []
        }
        var reader = piece.outputs.reader()
        let outputs: [Output]
        do {
            outputs = try BinaryDecoder().decode([Output].self, from: &reader)
        } catch {
            throw failure(.codingFailed("cannot decode the outputs of items \(items) as \([Output].self): \(error)"),
                          piece, jobType)
        }
        guard outputs.count == expected else {
            throw failure(.protocolViolation("the worker sent \(outputs.count) outputs for the \(expected) items of \(items) that did not fail"),
                          piece, jobType)
        }
        guard reader.isAtEnd else {
            throw failure(.protocolViolation("\(reader.remaining) bytes after the outputs of items \(items)"), piece, jobType)
        }
        return outputs
    }

    /// Every item of the piece, in order, as a result.
    static func results<Output: Decodable>(_ piece: ResultPiece, jobType: String) -> [Result<Output, JobFailure>] {
        let outputs: [Output]
        do {
            outputs = try successes(piece, jobType: jobType)
        } catch {
            let failure = error as? JobFailure ?? JobFailure(reason: .codingFailed("\(error)"), jobType: jobType)
            return (0..<max(piece.count, 0)).map { offset in
                var copy = failure
                copy.index = piece.firstIndex + offset
                return .failure(copy)
            }
        }
        guard !piece.failures.isEmpty else { return outputs.map { .success($0) } }
        var results: [Result<Output, JobFailure>] = []
        results.reserveCapacity(piece.count)
        var nextFailure = 0
        var nextOutput = 0
        for index in piece.firstIndex..<(piece.firstIndex + piece.count) {
            if nextFailure < piece.failures.count, piece.failures[nextFailure].index == index {
                results.append(.failure(piece.failures[nextFailure].failure))
                nextFailure += 1
            } else {
                results.append(.success(outputs[nextOutput]))
                nextOutput += 1
            }
        }
        return results
    }

    /// The piece's failures are at distinct items of the piece, in order (the reactor checked
    /// it; a piece that is not so would put outputs on the wrong items).
    private static func checkShape(_ piece: ResultPiece, jobType: String) throws(JobFailure) {
        guard piece.count >= 0 else {
            throw failure(.protocolViolation("a piece of \(piece.count) items"), piece, jobType)
        }
        let items = piece.firstIndex..<(piece.firstIndex + piece.count)
        var previous: Int?
        for (index, _) in piece.failures {
            guard items.contains(index), previous.map({ index > $0 }) ?? true else {
                throw failure(.protocolViolation("a failure at item \(index) among results for items \(items)"), piece, jobType)
            }
            previous = index
        }
    }

    private static func failure(_ reason: JobFailure.Reason, _ piece: ResultPiece, _ jobType: String) -> JobFailure {
        JobFailure(reason: reason, jobType: jobType, index: piece.firstIndex)
    }
}
