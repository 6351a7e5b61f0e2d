/// A message from a worker that makes no sense: the worker is killed for it
/// (`WorkerConnection.protocolViolation`), and its undelivered items are charged by ``Blame``
/// (they fail with ``JobFailure/Reason/protocolViolation(_:)`` once they have no retries left).
struct ProtocolError: Error, Equatable {
    var reason: String
}

/// What a results message must be before the parent believes any of it. A pure function of the
/// message and the task it names, so that it is fuzzed alone (see ResultsFuzzTests): whatever a
/// worker sends, either every check passes and the message resolves the items it claims, or
/// nothing changes and the worker is killed.
enum ResultsValidation {
    /// The items (offsets in the task's chunk) the message resolves.
    ///
    /// - Parameters:
    ///   - resolvedUpTo: The task's first item not yet resolved.
    ///   - range: The task's items.
    ///   - outputsAreArray: The outputs are an encoded `[Output]` (a chunk task), whose declared
    ///     count must be that of the items that did not fail. A target's output is one value.
    static func check(_ message: ResultsMessage, resolvedUpTo: Int, range: Range<Int>,
                      outputsAreArray: Bool) throws(ProtocolError) -> Range<Int> {
        let task = message.taskID
        let start = Int(message.start), end = start + Int(message.count)
        // A worker never sends an empty piece: the consumers key pieces by their first item,
        // so an empty one would stand for the piece that really starts there.
        guard message.count > 0 else {
            throw ProtocolError(reason: "results for no items of task \(task)")
        }
        guard start == resolvedUpTo, end <= range.upperBound else {
            throw ProtocolError(reason: "results for items \(start)..<\(end) of task \(task) (items \(range)), expected from \(resolvedUpTo)")
        }
        if message.final && end != range.upperBound {
            throw ProtocolError(reason: "final results of task \(task) end at \(end), the task at \(range.upperBound)")
        }
        var previous: Int?
        for failure in message.failures {
            let offset = Int(failure.offset)
            guard offset >= start, offset < end else {
                throw ProtocolError(reason: "a failure at item \(offset) among results for items \(start)..<\(end) of task \(task)")
            }
            if let previous, offset <= previous {
                throw ProtocolError(reason: "a failure at item \(offset) after one at \(previous) in results of task \(task)")
            }
            previous = offset
        }
        if outputsAreArray {
            let expected = Int(message.count) - message.failures.count
            guard let declared = OutputsHeader.elementCount(message.outputs) else {
                throw ProtocolError(reason: "the outputs of items \(start)..<\(end) of task \(task) are not an encoded array (\(message.outputs.count) bytes)")
            }
            guard declared == expected else {
                throw ProtocolError(reason: "\(declared) outputs for the \(expected) items of \(start)..<\(end) of task \(task) that did not fail")
            }
        }
        return start..<end
    }
}

extension ResultPiece {
    /// The piece a checked results message delivers to its call (positions in the call's input).
    init(_ message: ResultsMessage, spec: TaskSpec, jobType: String, reportsIndex: Bool, workerPID: Int32) {
        let base = spec.chunk.firstIndex
        let failures = message.failures.map { record -> (index: Int, failure: JobFailure) in
            let index = base + Int(record.offset)
            let reason: JobFailure.Reason
            switch record.kind {
            case .threw: reason = .threw(errorType: record.typeName, message: record.message)
            case .inputNotDecodable, .outputNotEncodable: reason = .codingFailed(record.message)
            case .unknownJobType, .jobNotDecodable, .jobNotDefined: reason = .jobUnavailable(record.message)
            }
            return (index, JobFailure(reason: reason, jobType: jobType, index: reportsIndex ? index : nil,
                                      workerPID: workerPID, earlierAttempts: spec.attempts))
        }
        self.init(firstIndex: base + Int(message.start), count: Int(message.count), failures: failures,
                  outputs: message.outputs)
    }
}
