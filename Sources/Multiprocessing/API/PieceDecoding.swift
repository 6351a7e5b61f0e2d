/// Turns the pieces a call received into its outputs, off the reactor thread.
enum PieceDecoding {
    /// The outputs of the piece's successful items, in order.
    static func successes<Output: Decodable>(_ piece: ResultPiece, jobType: String) throws -> [Output] {
        let expected = piece.count - piece.failures.count
        guard expected > 0 else { return [] }
        var reader = piece.outputs.reader()
        let outputs: [Output]
        do {
            outputs = try BinaryDecoder().decode([Output].self, from: &reader)
        } catch {
            throw JobFailure(reason: .codingFailed("cannot decode \([Output].self): \(error)"), jobType: jobType,
                             index: piece.firstIndex)
        }
        guard outputs.count == expected, reader.isAtEnd else {
            throw JobFailure(reason: .codingFailed("\(outputs.count) outputs for \(expected) items"),
                             jobType: jobType, index: piece.firstIndex)
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
            return (0..<piece.count).map { offset in
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
}
