/// A job type found and decoded in a worker, ready to run tasks.
protocol LoadedJob {
    func runChunk(_ message: RunChunkMessage, loop: WorkerLoop) async
    /// Runs a target; returns whether it succeeded (a single process's exit status).
    func runTarget(taskID: UInt64, loop: WorkerLoop) async -> Bool
}

enum JobLoader {
    /// Finds the type named in `message` and decodes the job value, or says why it cannot.
    static func load(_ message: DefineJobMessage) -> Result<any LoadedJob, ItemFailureRecord> {
        func failure(_ kind: ItemFailureRecord.Kind, _ text: String) -> Result<any LoadedJob, ItemFailureRecord> {
            .failure(ItemFailureRecord(offset: 0, kind: kind, typeName: message.typeName, message: text))
        }
        guard let type = JobTypeName.resolve(message.typeName) else {
            return failure(.unknownJobType, "no type named \(message.typeName) in this executable")
        }
        do {
            if let jobType = type as? any Job.Type {
                return .success(try loadJob(jobType, message.blob))
            }
            if let targetType = type as? any ProcessTarget.Type {
                return .success(try loadTarget(targetType, message.blob))
            }
        } catch {
            return failure(.jobNotDecodable, "cannot decode \(String(reflecting: type)): \(error)")
        }
        return failure(.unknownJobType, "\(String(reflecting: type)) is neither a Job nor a ProcessTarget")
    }

    private static func loadJob<J: Job>(_: J.Type, _ blob: [UInt8]) throws -> any LoadedJob {
        LoadedChunkJob(job: try BinaryDecoder().decode(J.self, from: blob))
    }

    private static func loadTarget<T: ProcessTarget>(_: T.Type, _ blob: [UInt8]) throws -> any LoadedJob {
        LoadedTarget(target: try BinaryDecoder().decode(T.self, from: blob))
    }
}

/// The error's type and description, as the parent will show them.
func describeThrown(_ error: any Error) -> (type: String, message: String) {
    (String(reflecting: type(of: error)), String(describing: error))
}

struct LoadedChunkJob<J: Job>: LoadedJob {
    let job: J

    func runChunk(_ message: RunChunkMessage, loop: WorkerLoop) async {
        let taskID = message.taskID
        let start = Int(message.start), end = Int(message.end)
        loop.page?.beginTask(taskID: taskID, offset: message.start)
        // Decoding runs the inputs' own `init(from:)`: each input is decoded as its item (a
        // death names it), and only the task's own (another's cannot harm it).
        let inputs: [J.Input]
        do {
            var reader = message.inputs.reader()
            inputs = try BinaryDecoder().decodeElements(J.Input.self, start..<end, from: &reader) { index in
                loop.page?.beginTask(taskID: taskID, offset: UInt32(truncatingIfNeeded: index))
            }
            guard reader.isAtEnd else { throw WireError.malformed("\(reader.remaining) bytes after the inputs") }
        } catch {
            loop.failAll(taskID: taskID, start: message.start, end: message.end,
                         kind: .inputNotDecodable, error: error)
            return
        }

        // The job's loop sees the task's items as 0..<count (see _ItemSession).
        await job._runItems(inputs, in: 0..<inputs.count, session: _ItemSession(loop: loop, taskID: taskID, start: start))
    }

    func runTarget(taskID: UInt64, loop: WorkerLoop) async -> Bool {
        loop.failAll(taskID: taskID, start: 0, end: 1, kind: .jobNotDecodable,
                     error: WireError.malformed("\(J.self) is a Job: it runs on inputs, not as a target"))
        return false
    }
}

struct LoadedTarget<T: ProcessTarget>: LoadedJob {
    let target: T

    func runChunk(_ message: RunChunkMessage, loop: WorkerLoop) async {
        loop.failAll(taskID: message.taskID, start: message.start, end: message.end, kind: .jobNotDecodable,
                     error: WireError.malformed("\(T.self) is a ProcessTarget: it takes no inputs"))
    }

    func runTarget(taskID: UInt64, loop: WorkerLoop) async -> Bool {
        loop.page?.beginTask(taskID: taskID, offset: 0)
        let started = ContinuousClock.now
        var failures: [ItemFailureRecord] = []
        var outputs: [UInt8] = []
        do {
            let output = try await target.run()
            do {
                outputs = try TargetOutputCoding.encode(output)
            } catch {
                failures.append(ItemFailureRecord(offset: 0, kind: .outputNotEncodable,
                                                  typeName: describeThrown(error).type, message: "\(error)"))
            }
        } catch {
            let (type, text) = describeThrown(error)
            failures.append(ItemFailureRecord(offset: 0, kind: .threw, typeName: type, message: text))
        }
        let elapsed = UInt64(max(0, (ContinuousClock.now - started).nanoseconds))
        loop.emit(ResultsMessage(taskID: taskID, start: 0, count: 1, final: true, elapsedNanos: elapsed,
                                 failures: failures, outputs: Payload(outputs)))
        return failures.isEmpty
    }
}

/// The outcomes of consecutive items of a task, not yet sent.
struct PieceBuilder<Output: Encodable> {
    let taskID: UInt64
    private(set) var start: Int
    var count = 0
    var outputs: [Output] = []
    var failures: [ItemFailureRecord] = []
    private var startedAt = ContinuousClock.now

    init(taskID: UInt64, start: Int) {
        self.taskID = taskID
        self.start = start
    }

    /// The results message for the items so far; the builder continues after them.
    mutating func take(final: Bool) -> ResultsMessage {
        take(final: final, maxFrameSize: Frame.largestMaxSize)[0]
    }

    /// The results messages for the items so far, each within `maxFrameSize`: one message, or,
    /// when that would be too large, one per item, where an item whose own output is too large
    /// fails with the reason instead. The builder continues after them.
    mutating func take(final: Bool, maxFrameSize: Int) -> [ResultsMessage] {
        let now = ContinuousClock.now
        let elapsed = UInt64(max(0, (now - startedAt).nanoseconds))
        var messages = [encodeWhole(final: final, elapsed: elapsed)]
        if !messages[0].fits(maxFrameSize) {
            messages = encodeOneByOne(final: final, elapsed: elapsed, maxFrameSize: maxFrameSize)
        }
        start += count
        count = 0
        outputs.removeAll(keepingCapacity: true)
        failures.removeAll()
        startedAt = now
        return messages
    }

    private func encodeWhole(final: Bool, elapsed: UInt64) -> ResultsMessage {
        var failures = failures
        var encoded: [UInt8] = []
        do {
            encoded = try BinaryEncoder().encode(outputs)
        } catch {
            // The outputs cannot travel: every item that produced one fails instead.
            let failed = Set(failures.map(\.offset))
            let text = "cannot encode \([Output].self): \(error)"
            for offset in start..<(start + count) where !failed.contains(UInt32(offset)) {
                failures.append(ItemFailureRecord(offset: UInt32(offset), kind: .outputNotEncodable,
                                                  typeName: describeThrown(error).type, message: text))
            }
            failures.sort { $0.offset < $1.offset }
            encoded = EmptyArrayEncoding.bytes
        }
        return ResultsMessage(taskID: taskID, start: UInt32(start), count: UInt32(count), final: final,
                              elapsedNanos: elapsed, failures: failures, outputs: Payload(encoded))
    }

    private func encodeOneByOne(final: Bool, elapsed: UInt64, maxFrameSize: Int) -> [ResultsMessage] {
        var messages: [ResultsMessage] = []
        var failureAt = [UInt32: ItemFailureRecord]()
        for failure in failures { failureAt[failure.offset] = failure }
        var nextOutput = outputs.startIndex
        for offset in start..<(start + count) {
            let last = offset == start + count - 1
            var failure = failureAt[UInt32(offset)]
            var encoded = EmptyArrayEncoding.bytes
            if failure == nil {
                let output = outputs[nextOutput]
                nextOutput += 1
                do {
                    encoded = try BinaryEncoder().encode([output])
                } catch {
                    failure = ItemFailureRecord(offset: UInt32(offset), kind: .outputNotEncodable,
                                                typeName: describeThrown(error).type,
                                                message: "cannot encode \(Output.self): \(error)")
                }
            }
            var message = ResultsMessage(taskID: taskID, start: UInt32(offset), count: 1, final: final && last,
                                         elapsedNanos: last ? elapsed : 0, failures: failure.map { [$0] } ?? [],
                                         outputs: Payload(failure == nil ? encoded : EmptyArrayEncoding.bytes))
            if !message.fits(maxFrameSize) {
                message = message.replacingOutputsWithOversizeFailures(limit: maxFrameSize)
            }
            messages.append(message)
        }
        return messages
    }
}

/// Decides when a long task should send the results it has so far, so that a crash later in
/// the task loses little, while reading the clock rarely when items are tiny.
struct PartialResultClock {
    static let interval: Int64 = 5_000_000
    private var lastSent = ContinuousClock.now
    private var lastCheck = ContinuousClock.now
    private var lastChannelCheck = ContinuousClock.now
    private var itemsBetweenChecks = 1

    /// An item this slow sends its result at once, so that a death later loses no finished work.
    static let slowItemNanos: Int64 = 200_000
    /// Looks at the channel at most this often (see ``_ItemSession/checkpoint()``).
    static let channelCheckNanos: Int64 = 20_000

    /// Called every `itemsBetweenChecks` items: whether results are due, when to call again, and
    /// whether to look at the channel now.
    mutating func checkpoint() -> (due: Bool, next: Int, checkChannel: Bool) {
        let now = ContinuousClock.now
        // Aim at one look at the clock per 50-500 us of work.
        let sinceCheck = (now - lastCheck).nanoseconds
        let slowItem = itemsBetweenChecks == 1 && sinceCheck >= Self.slowItemNanos
        lastCheck = now
        if sinceCheck < 50_000 {
            itemsBetweenChecks = min(itemsBetweenChecks * 2, 4096)
        } else if sinceCheck > 500_000 {
            itemsBetweenChecks = max(1, itemsBetweenChecks / 2)
        }
        let checkChannel = (now - lastChannelCheck).nanoseconds >= Self.channelCheckNanos
        if checkChannel { lastChannelCheck = now }
        guard slowItem || (now - lastSent).nanoseconds >= Self.interval else {
            return (false, itemsBetweenChecks, checkChannel)
        }
        lastSent = now
        return (true, itemsBetweenChecks, checkChannel)
    }
}
