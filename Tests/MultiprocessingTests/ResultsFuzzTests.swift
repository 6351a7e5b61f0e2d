import Testing
@testable import Multiprocessing

/// Whole sequences of results messages, honest and lying, through what the parent does with each
/// one: `ResultsMessage(decoding:)`, the task lookup, ``ResultsValidation``, the ``ResultPiece``
/// it delivers, and ``PieceDecoding`` on the caller's side.
///
/// The real `PoolCore` lives on its reactor thread and talks to real processes, so the task
/// lookup and its `resolvedUpTo` bookkeeping are modelled here (`Model.receive` mirrors
/// `PoolCore.handleResults` line for line); everything else is the library's own code.
/// Seeded per sequence: a failure names the seed that replays it.
@Suite("Results fuzzing")
struct ResultsFuzzTests {
    /// 4 × 25,000 = 100,000 sequences.
    static let sequencesPerBatch = 25_000
    static let batches = 0..<4

    /// What an item of a task really produced.
    enum Truth: Equatable {
        case output(Int)
        case failed(String)
    }

    /// The parent's record of a worker's tasks, as `PoolCore` keeps it (`WorkerSlot.inFlight`).
    struct Model {
        var inFlight: [InFlightTask]
        /// How often each item of the call was delivered, by its index in the call.
        var deliveries: [Int: Int] = [:]
        /// Delivered pieces' first items: a consumer keys pieces by it (`StreamState.place`,
        /// `LocalCallHandle.value`), so no two may share one.
        var pieceStarts: Set<Int> = []
        var delivered: [ResultPiece] = []

        struct Snapshot: Equatable {
            var tasks: [String]
            var deliveries: [Int: Int]
        }

        var snapshot: Snapshot {
            Snapshot(tasks: inFlight.map { "\($0.taskID) \($0.spec.range) \($0.resolvedUpTo)" }, deliveries: deliveries)
        }

        enum Outcome {
            case rejected(String)
            case accepted(ResultsMessage, ResultPiece)
        }

        /// `PoolCore.handleResults`, for a call of `Int` outputs that has not ended.
        mutating func receive(_ body: [UInt8]) -> Outcome {
            let message: ResultsMessage
            do {
                message = try ResultsMessage(decoding: body)
            } catch {
                return .rejected("malformed results frame: \(error)")
            }
            guard let position = inFlight.firstIndex(where: { $0.taskID == message.taskID }) else {
                return .rejected("results for unknown task \(message.taskID)")
            }
            var task = inFlight[position]
            let resolved: Range<Int>
            do {
                resolved = try ResultsValidation.check(message, resolvedUpTo: task.resolvedUpTo, range: task.spec.range,
                                                       outputsAreArray: true)
            } catch {
                return .rejected(error.reason)
            }
            task.resolvedUpTo = resolved.upperBound
            let piece = ResultPiece(message, spec: task.spec, jobType: "Fuzz", reportsIndex: true, workerPID: 7)
            if message.final { inFlight.remove(at: position) } else { inFlight[position] = task }
            for offset in resolved { deliveries[task.spec.chunk.firstIndex + offset, default: 0] += 1 }
            pieceStarts.insert(piece.firstIndex)
            delivered.append(piece)
            return .accepted(message, piece)
        }
    }

    /// A task on the worker, what its items produce, and the honest messages for them.
    struct WorkerTask {
        var task: InFlightTask
        var truth: [Int: Truth]

        init(taskID: UInt64, firstIndex: Int, rng: inout SplitMix64) {
            let chunkCount = 1 + rng.below(8)
            let low = rng.below(chunkCount)
            let high = low + 1 + rng.below(chunkCount - low)
            let chunk = Chunk(firstIndex: firstIndex, count: chunkCount, inputs: Payload([]))
            task = InFlightTask(taskID: taskID, spec: TaskSpec(callID: 1, chunk: chunk, range: low..<high))
            truth = [:]
            for offset in low..<high {
                truth[offset] = rng.chance(25) ? .failed("item \(offset) threw") : .output(Int(bitPattern: UInt(rng.next())) >> rng.below(64))
            }
        }

        /// The task's items cut into consecutive honest messages, as a worker sends them.
        func honestMessages(rng: inout SplitMix64) -> [ResultsMessage] {
            var messages: [ResultsMessage] = []
            var start = task.spec.range.lowerBound
            let end = task.spec.range.upperBound
            while start < end {
                let count = 1 + rng.below(end - start)
                messages.append(message(start..<(start + count), final: start + count == end))
                start += count
            }
            return messages
        }

        func message(_ items: Range<Int>, final: Bool) -> ResultsMessage {
            var failures: [ItemFailureRecord] = []
            var outputs: [Int] = []
            for offset in items {
                switch truth[offset]! {
                case let .output(value): outputs.append(value)
                case let .failed(text):
                    failures.append(ItemFailureRecord(offset: UInt32(offset), kind: .threw, typeName: "E", message: text))
                }
            }
            return ResultsMessage(taskID: task.taskID, start: UInt32(items.lowerBound), count: UInt32(items.count),
                                  final: final, elapsedNanos: 1, failures: failures, outputs: Payload(encode(outputs)))
        }
    }

    /// A message as sent.
    struct Sent {
        var body: [UInt8]
        /// Byte for byte an honest message.
        var honest: Bool
    }

    static func encode(_ outputs: [Int]) -> [UInt8] { (try? BinaryEncoder().encode(outputs)) ?? [] }

    static func body(_ message: ResultsMessage) -> [UInt8] {
        message.encodeFixedPart() + message.outputs.bytes
    }

    /// One lie about a message (or its bytes).
    static func mutate(_ honest: ResultsMessage, rng: inout SplitMix64) -> Sent {
        var message = honest
        let claimed = (try? BinaryDecoder().decode([Int].self, from: honest.outputs.bytes)) ?? []
        switch rng.below(16) {
        case 0: message.start &+= 1
        case 1: message.start &-= 1
        case 2: message.count &+= UInt32(1 + rng.below(3))
        case 3: message.count &-= 1
        case 4: message.count = 0
        case 5: message.final.toggle()
        case 6: message.taskID &+= UInt64(1 + rng.below(3))
        case 7:
            // A failure twice, or two out of order.
            let record = message.failures.last
                ?? ItemFailureRecord(offset: message.start, kind: .threw, typeName: "E", message: "twice")
            if message.failures.count >= 2 && rng.chance(50) {
                message.failures.swapAt(0, 1)
            } else {
                if message.failures.isEmpty { message.failures.append(record) }
                message.failures.append(record)
            }
        case 8:
            // A failure outside the message's items.
            let offset = rng.chance(50) ? message.start &+ message.count : message.start &- 1
            message.failures.append(ItemFailureRecord(offset: offset, kind: .threw, typeName: "E", message: "outside"))
        case 9:
            // An item said to fail whose output is still sent, or an output missing for none.
            if let index = (0..<Int(message.count)).map({ Int(message.start) + $0 })
                .first(where: { offset in !message.failures.contains { Int($0.offset) == offset } }) {
                message.failures.append(ItemFailureRecord(offset: UInt32(index), kind: .threw, typeName: "E", message: "extra"))
                message.failures.sort { $0.offset < $1.offset }
            } else if !message.failures.isEmpty {
                message.failures.removeLast()
            }
        case 10:
            // One output too many or too few.
            var values = claimed
            if values.isEmpty || rng.chance(50) { values.append(rng.below(100)) } else { values.removeLast() }
            message.outputs = Payload(encode(values))
        case 11:
            // Other values, as many: a lie no parent can see, delivered as sent.
            let values = claimed.map { $0 &+ 1 }
            message.outputs = Payload(encode(values))
        case 12:
            // Outputs of another type, or no array at all.
            let strings = claimed.map { "\($0)" } + (rng.chance(50) ? [] : ["x"])
            message.outputs = Payload(rng.chance(50) ? ((try? BinaryEncoder().encode(strings)) ?? []) : [])
        case 13:
            // The outputs cut short, or garbage after them.
            var bytes = message.outputs.bytes
            if rng.chance(50) && !bytes.isEmpty { bytes.removeLast(1 + rng.below(bytes.count)) } else { bytes += [0x0D, 0xFF] }
            message.outputs = Payload(bytes)
        default:
            // The bytes themselves: cut, flipped, or a failure count that lies.
            var bytes = body(message)
            switch rng.below(3) {
            case 0: bytes.removeLast(1 + rng.below(bytes.count))
            case 1: bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8))
            default:
                // The failure count is the varint after task id, start, count, final and elapsed time.
                bytes[25] = UInt8(truncatingIfNeeded: 0x80 | rng.below(256)); bytes.insert(0x7F, at: 26)
            }
            return Sent(body: bytes, honest: bytes == body(honest))
        }
        let bytes = body(message)
        return Sent(body: bytes, honest: bytes == body(honest))
    }

    /// One sequence: two tasks on a worker, their messages (some lying, some twice, some lost,
    /// some swapped), each into the model, and the invariants after each.
    static func runSequence(seed: UInt64, stats: inout [String: Int]) {
        var rng = SplitMix64(seed: seed)
        let first = WorkerTask(taskID: 10, firstIndex: rng.below(100), rng: &rng)
        let second = WorkerTask(taskID: 11, firstIndex: 200 + rng.below(100), rng: &rng)
        var model = Model(inFlight: [first.task, second.task])
        let tasks = [first, second]
        let lying = rng.chance(85)
        var script: [Sent] = []
        for task in tasks {
            for message in task.honestMessages(rng: &rng) {
                if lying && rng.chance(8) {
                    // An empty piece where the next one starts, as well as that one.
                    var empty = message
                    empty.count = 0
                    empty.final = false
                    empty.failures = []
                    empty.outputs = Payload(Self.encode([]))
                    script.append(Sent(body: body(empty), honest: false))
                }
                script.append(lying && rng.chance(35) ? mutate(message, rng: &rng) : Sent(body: body(message), honest: true))
            }
        }
        if lying {
            for _ in 0..<rng.below(3) {
                guard !script.isEmpty else { break }
                let at = rng.below(script.count)
                switch rng.below(3) {
                case 0: script.insert(script[at], at: rng.below(script.count + 1))  // sent twice
                case 1: script.remove(at: at)  // lost
                default: if at + 1 < script.count { script.swapAt(at, at + 1) }  // out of order
                }
            }
            if rng.chance(20) {
                // Results after the final one.
                let task = tasks[rng.below(2)]
                let last = task.task.spec.range.upperBound - 1
                script.append(Sent(body: body(task.message(last..<(last + 1), final: true)), honest: false))
            }
        }
        let context = Comment(rawValue: "seed \(seed)")
        var allAccepted = true
        for sent in script {
            let before = model.snapshot
            let resolvedBefore = model.inFlight
            switch model.receive(sent.body) {
            case let .rejected(reason):
                stats["rejected", default: 0] += 1
                allAccepted = false
                #expect(model.snapshot == before, "a rejected message changed the state (\(reason)); \(context)")
                #expect(!reason.isEmpty, context)
            case let .accepted(message, piece):
                stats["accepted", default: 0] += 1
                if !sent.honest { stats["lies accepted", default: 0] += 1 }
                guard let task = resolvedBefore.first(where: { $0.taskID == message.taskID }),
                      let owner = tasks.first(where: { $0.task.taskID == message.taskID }) else {
                    Issue.record("accepted a message for a task it did not hold; \(context)")
                    return
                }
                let items = Int(message.start)..<(Int(message.start) + Int(message.count))
                // Only the task's own items, from where it stood, each once.
                #expect(!items.isEmpty && items.lowerBound == task.resolvedUpTo
                        && items.upperBound <= task.spec.range.upperBound, "\(items) of \(task.spec.range); \(context)")
                #expect(piece.firstIndex == task.spec.chunk.firstIndex + items.lowerBound && piece.count == items.count, context)
                for item in items {
                    #expect(model.deliveries[task.spec.chunk.firstIndex + item] == 1, "item \(item) delivered twice; \(context)")
                }
                checkDecoding(piece, message: message, sent: sent, owner: owner, context: context)
            }
        }
        // The consumers' view: pieces never start at the same item; sorted, they are each
        // task's items from its first, with no gap.
        #expect(model.pieceStarts.count == model.delivered.count, "two pieces start at one item; \(context)")
        for task in tasks {
            let base = task.task.spec.chunk.firstIndex
            let pieces = model.delivered.filter { (base..<(base + 8)).contains($0.firstIndex) }.sorted { $0.firstIndex < $1.firstIndex }
            var next = base + task.task.spec.range.lowerBound
            for piece in pieces {
                #expect(piece.firstIndex == next, "a gap before \(piece.firstIndex); \(context)")
                next = piece.firstIndex + piece.count
            }
        }
        if !lying {
            // Honest and complete: every item delivered once, every task done.
            #expect(allAccepted && model.inFlight.isEmpty, context)
            #expect(model.deliveries.count == tasks.reduce(0) { $0 + $1.task.spec.range.count }, context)
        }
    }

    /// What the caller decodes from an accepted piece: exactly what the message carried, or,
    /// when its outputs are not `count - failures` values of the call's type, every item of the
    /// piece failed as a coding failure or protocol violation. An honest message: the truth.
    static func checkDecoding(_ piece: ResultPiece, message: ResultsMessage, sent: Sent, owner: WorkerTask,
                              context: Comment) {
        let results: [Result<Int, JobFailure>] = PieceDecoding.results(piece, jobType: "Fuzz")
        #expect(results.count == piece.count, context)
        let failedOffsets = Set(message.failures.map { Int($0.offset) })
        let items = Int(message.start)..<(Int(message.start) + Int(message.count))
        // What the message's outputs are, read strictly: an array of exactly the items that did not fail.
        var reader = message.outputs.reader()
        let claimed = try? BinaryDecoder().decode([Int].self, from: &reader)
        if let claimed, reader.isAtEnd, claimed.count == items.count - failedOffsets.count {
            var outputs = claimed.makeIterator()
            for (item, result) in zip(items, results) {
                if failedOffsets.contains(item) {
                    let record = message.failures.first { Int($0.offset) == item }
                    // (A flipped kind byte makes it another kind of failure, with the same text.)
                    guard case let .failure(failure) = result, let record,
                          record.kind == .threw ? failure.reason == .threw(errorType: record.typeName, message: record.message)
                                                : "\(failure.reason)".contains(record.message) else {
                        Issue.record("item \(item): \(result), expected its failure; \(context)"); return
                    }
                    #expect(failure.index == piece.firstIndex + item - items.lowerBound, context)
                } else {
                    #expect((try? result.get()) == outputs.next(), "item \(item); \(context)")
                }
            }
        } else {
            // No value from outputs that are not what the items need (a piece whose items all
            // failed needs none: those failures stand).
            for result in results {
                guard case .failure = result else {
                    Issue.record("outputs that are not what the items need were decoded: \(result); \(context)"); return
                }
            }
        }
        if sent.honest {
            for (item, result) in zip(items, results) {
                switch owner.truth[item]! {
                case let .output(value): #expect((try? result.get()) == value, "item \(item); \(context)")
                case let .failed(text):
                    guard case let .failure(failure) = result else { Issue.record("item \(item) should fail; \(context)"); return }
                    #expect(failure.reason == .threw(errorType: "E", message: text), context)
                }
            }
        }
    }

    @Test("100,000 seeded sequences of honest and lying results messages keep every item resolved once, with what was sent",
          arguments: batches)
    func sequences(batch: Int) async {
        var stats: [String: Int] = [:]
        let base: UInt64 = 0x0005_EED5_0000_0000 + UInt64(batch) * UInt64(Self.sequencesPerBatch)
        for sequence in 0..<Self.sequencesPerBatch {
            if sequence % 2_000 == 0 { await Task.yield() }
            Self.runSequence(seed: base + UInt64(sequence), stats: &stats)
        }
        // The generator reaches both sides of every check.
        #expect(stats["rejected", default: 0] > 10_000)
        #expect(stats["accepted", default: 0] > 10_000)
        #expect(stats["lies accepted", default: 0] > 100)
    }

    @Test("PieceDecoding never traps and never puts a value on the wrong item, whatever a piece holds")
    func piecesNeverTrap() async {
        var rng = SplitMix64(seed: 0x9_1ECE)
        for iteration in 0..<50_000 {
            if iteration % 2_000 == 0 { await Task.yield() }
            let count = rng.below(6)
            var failures: [(index: Int, failure: JobFailure)] = []
            for _ in 0..<rng.below(4) {
                let index = 100 + rng.below(count + 2) - 1
                failures.append((index, JobFailure(reason: .threw(errorType: "E", message: "\(index)"), jobType: "Fuzz", index: index)))
            }
            if rng.chance(70) { failures.sort { $0.index < $1.index } }
            let values = (0..<rng.below(7)).map { _ in rng.below(1000) }
            var bytes = rng.chance(80) ? Self.encode(values) : (0..<rng.below(20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if rng.chance(20), !bytes.isEmpty { bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8)) }
            let piece = ResultPiece(firstIndex: 100, count: count, failures: failures, outputs: Payload(bytes))
            let results: [Result<Int, JobFailure>] = PieceDecoding.results(piece, jobType: "Fuzz")
            #expect(results.count == count, "iteration \(iteration)")
            if let outputs: [Int] = try? PieceDecoding.successes(piece, jobType: "Fuzz") {
                // Accepted: the failures were distinct items of the piece, in order, and the
                // outputs exactly the others'.
                let indices = failures.map(\.index)
                #expect(indices == indices.sorted() && Set(indices).count == indices.count
                        && indices.allSatisfy { (100..<(100 + count)).contains($0) }, "iteration \(iteration)")
                #expect(outputs.count == count - failures.count, "iteration \(iteration)")
            } else {
                #expect(results.allSatisfy { if case .failure = $0 { true } else { false } }, "iteration \(iteration)")
            }
        }
    }

    @Test("A results message for no items, or whose outputs declare another count, is refused")
    func validationRefusesEmptyAndMiscountedPieces() throws {
        let range = 0..<3
        func message(count: UInt32, failures: [UInt32] = [], outputs: [Int]) -> ResultsMessage {
            ResultsMessage(taskID: 1, start: 0, count: count, final: false, elapsedNanos: 0,
                           failures: failures.map { ItemFailureRecord(offset: $0, kind: .threw, typeName: "E", message: "m") },
                           outputs: Payload(Self.encode(outputs)))
        }
        #expect(throws: ProtocolError.self) {
            try ResultsValidation.check(message(count: 0, outputs: []), resolvedUpTo: 0, range: range, outputsAreArray: true)
        }
        #expect(throws: ProtocolError.self) {
            try ResultsValidation.check(message(count: 2, outputs: [1]), resolvedUpTo: 0, range: range, outputsAreArray: true)
        }
        #expect(throws: ProtocolError.self) {
            try ResultsValidation.check(message(count: 2, failures: [1], outputs: [1, 2]), resolvedUpTo: 0, range: range, outputsAreArray: true)
        }
        #expect(throws: ProtocolError.self) {
            try ResultsValidation.check(message(count: 2, failures: [1, 1], outputs: []), resolvedUpTo: 0, range: range, outputsAreArray: true)
        }
        #expect(try ResultsValidation.check(message(count: 2, failures: [1], outputs: [1]), resolvedUpTo: 0, range: range,
                                            outputsAreArray: true) == 0..<2)
        // Unkeyed arrays (any Output that is not a plain number) declare their count too.
        var strings = message(count: 2, outputs: [])
        strings.outputs = Payload(try BinaryEncoder().encode(["a", "b"]))
        #expect(try ResultsValidation.check(strings, resolvedUpTo: 0, range: range, outputsAreArray: true) == 0..<2)
        strings.outputs = Payload(try BinaryEncoder().encode(["a"]))
        #expect(throws: ProtocolError.self) {
            try ResultsValidation.check(strings, resolvedUpTo: 0, range: range, outputsAreArray: true)
        }
    }
}
