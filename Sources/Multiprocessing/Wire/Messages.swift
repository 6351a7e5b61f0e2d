// The bodies of the frames both sides exchange, written and read by hand (not through Codable)
// so that the per-task overhead is a few stores and loads.

/// Parent to worker: the decoded job value to keep under `jobID` for later tasks.
struct DefineJobMessage: Equatable {
    var jobID: UInt32
    var typeName: String
    var blob: [UInt8]

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + typeName.utf8.count + blob.count)
        writer.write(jobID)
        writer.write(typeName)
        writer.writeLengthPrefixed(blob)
        return writer.finish()
    }

    init(jobID: UInt32, typeName: String, blob: [UInt8]) {
        self.jobID = jobID
        self.typeName = typeName
        self.blob = blob
    }

    init(decoding body: [UInt8]) throws(WireError) {
        var reader = ByteReader(body)
        jobID = try reader.read(UInt32.self)
        typeName = try reader.readString()
        blob = try reader.readLengthPrefixed()
    }
}

/// Parent to worker: run items `start..<end` of a chunk whose inputs are an encoded array.
struct RunChunkMessage: Equatable {
    var taskID: UInt64
    var jobID: UInt32
    var start: UInt32
    var end: UInt32
    var inputs: Payload

    static let fixedSize = 20

    /// The fixed part; the inputs follow it as a separate segment so they are never copied.
    func encodeFixedPart() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.fixedSize)
        writer.write(taskID)
        writer.write(jobID)
        writer.write(start)
        writer.write(end)
        return writer.finish()
    }

    init(taskID: UInt64, jobID: UInt32, start: UInt32, end: UInt32, inputs: Payload) {
        self.taskID = taskID
        self.jobID = jobID
        self.start = start
        self.end = end
        self.inputs = inputs
    }

    init(decoding body: [UInt8]) throws(WireError) {
        var reader = ByteReader(body)
        taskID = try reader.read(UInt64.self)
        jobID = try reader.read(UInt32.self)
        start = try reader.read(UInt32.self)
        end = try reader.read(UInt32.self)
        guard start <= end else { throw WireError.malformed("chunk range \(start)..<\(end)") }
        inputs = Payload(body, from: reader.position)
    }
}

/// Parent to worker: run a `ProcessTarget` (a job without input) once.
struct RunTargetMessage: Equatable {
    var taskID: UInt64
    var jobID: UInt32
    /// Exit after this task: 0 if it succeeded, 1 if it threw (a single `WorkerProcess`).
    var exitAfter: Bool

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 13)
        writer.write(taskID)
        writer.write(jobID)
        writer.write(exitAfter)
        return writer.finish()
    }

    init(taskID: UInt64, jobID: UInt32, exitAfter: Bool) {
        self.taskID = taskID
        self.jobID = jobID
        self.exitAfter = exitAfter
    }

    init(decoding body: [UInt8]) throws(WireError) {
        var reader = ByteReader(body)
        taskID = try reader.read(UInt64.self)
        jobID = try reader.read(UInt32.self)
        exitAfter = try reader.readBool()
    }
}

/// A list of task ids: `cancel` (parent to worker) and `dropped` (its answer).
struct TaskListMessage: Equatable {
    var taskIDs: [UInt64]

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 4 + 8 * taskIDs.count)
        writer.writeVarint(taskIDs.count)
        for id in taskIDs { writer.write(id) }
        return writer.finish()
    }

    init(taskIDs: [UInt64]) {
        self.taskIDs = taskIDs
    }

    init(decoding body: [UInt8]) throws(WireError) {
        var reader = ByteReader(body)
        let count = try reader.readLength(unitSize: 8)
        var ids: [UInt64] = []
        ids.reserveCapacity(count)
        for _ in 0..<count { ids.append(try reader.read(UInt64.self)) }
        taskIDs = ids
    }
}

/// Worker to parent, first frame: who is speaking.
struct HelloMessage: Equatable {
    var version: UInt16
    var buildID: UInt64
    var pid: Int32

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 14)
        writer.write(version)
        writer.write(buildID)
        writer.write(pid)
        return writer.finish()
    }

    init(version: UInt16, buildID: UInt64, pid: Int32) {
        self.version = version
        self.buildID = buildID
        self.pid = pid
    }

    init(decoding body: [UInt8]) throws(WireError) {
        var reader = ByteReader(body)
        version = try reader.read(UInt16.self)
        buildID = try reader.read(UInt64.self)
        pid = try reader.read(Int32.self)
    }
}

/// Why one item failed inside a worker that is still alive.
struct ItemFailureRecord: Error, Equatable, Sendable {
    enum Kind: UInt8, Sendable {
        case threw = 1
        case inputNotDecodable = 2
        case unknownJobType = 3
        case jobNotDecodable = 4
        case outputNotEncodable = 5
        case jobNotDefined = 6
    }

    var offset: UInt32
    var kind: Kind
    var typeName: String
    var message: String
}

/// Worker to parent: outcomes of items `start..<start+count` of a task, in order. Failures are
/// listed by offset; the outputs of the other items follow as one encoded array (a single
/// encoded value, or nothing for `Void`, for a `ProcessTarget`).
struct ResultsMessage: Equatable {
    var taskID: UInt64
    var start: UInt32
    var count: UInt32
    /// The last frame of this task.
    var final: Bool
    /// Time the worker spent on these items.
    var elapsedNanos: UInt64
    var failures: [ItemFailureRecord]
    var outputs: Payload

    /// Everything but the outputs, which the sender writes as a second segment.
    func encodeFixedPart() -> [UInt8] {
        var writer = ByteWriter(capacity: 32)
        writer.write(taskID)
        writer.write(start)
        writer.write(count)
        writer.write(final)
        writer.write(elapsedNanos)
        writer.writeVarint(failures.count)
        for failure in failures {
            writer.write(failure.offset)
            writer.write(failure.kind.rawValue)
            writer.write(failure.typeName)
            writer.write(failure.message)
        }
        return writer.finish()
    }

    init(taskID: UInt64, start: UInt32, count: UInt32, final: Bool, elapsedNanos: UInt64,
         failures: [ItemFailureRecord], outputs: Payload) {
        self.taskID = taskID
        self.start = start
        self.count = count
        self.final = final
        self.elapsedNanos = elapsedNanos
        self.failures = failures
        self.outputs = outputs
    }

    init(decoding body: [UInt8]) throws(WireError) {
        var reader = ByteReader(body)
        taskID = try reader.read(UInt64.self)
        start = try reader.read(UInt32.self)
        count = try reader.read(UInt32.self)
        final = try reader.readBool()
        elapsedNanos = try reader.read(UInt64.self)
        let failureCount = try reader.readLength(unitSize: 7)
        guard failureCount <= Int(count) else {
            throw WireError.malformed("\(failureCount) failures among \(count) items")
        }
        var failures: [ItemFailureRecord] = []
        failures.reserveCapacity(failureCount)
        for _ in 0..<failureCount {
            let offset = try reader.read(UInt32.self)
            let kindByte = try reader.readByte()
            guard let kind = ItemFailureRecord.Kind(rawValue: kindByte) else {
                throw WireError.unexpectedByte(kindByte, context: "an item failure's kind")
            }
            guard offset >= start, offset - start < count else {
                throw WireError.malformed("failure at offset \(offset) outside \(count) items from \(start)")
            }
            if let previous = failures.last?.offset, offset <= previous {
                throw WireError.malformed("failure at offset \(offset) after one at \(previous)")
            }
            failures.append(ItemFailureRecord(
                offset: offset, kind: kind,
                typeName: try reader.readString(), message: try reader.readString()))
        }
        self.failures = failures
        outputs = Payload(body, from: reader.position)
    }
}

extension ResultsMessage {
    /// Whether the message's frame is within `limit`.
    func fits(_ limit: Int) -> Bool {
        Frame.fits(bodyCount: encodeFixedPart().count + outputs.count, limit: limit)
    }

    /// The same items, each failed because the message would not fit in a frame of `limit`
    /// bytes, with texts short enough that it does.
    func replacingOutputsWithOversizeFailures(limit: Int) -> ResultsMessage {
        let size = encodeFixedPart().count + outputs.count + 1
        let text = "its results are \(size) bytes, over the frame limit of \(limit) bytes (ProcessPool.Options.maxFrameBytes)"
        let failures = (start..<(start + count)).map { offset in
            ItemFailureRecord(offset: offset, kind: .outputNotEncodable, typeName: "", message: text)
        }
        return ResultsMessage(taskID: taskID, start: start, count: count, final: final, elapsedNanos: elapsedNanos,
                              failures: failures, outputs: Payload(EmptyArrayEncoding.bytes))
    }
}

/// The encoding of an empty array, for pieces that carry only failures.
enum EmptyArrayEncoding {
    static let bytes: [UInt8] = (try? BinaryEncoder().encode([Int]())) ?? []
}

/// Worker to parent, just before it exits on a protocol error it cannot recover from.
struct FatalMessage: Equatable {
    var message: String

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 8 + message.utf8.count)
        writer.write(message)
        return writer.finish()
    }

    init(message: String) {
        self.message = message
    }

    init(decoding body: [UInt8]) throws(WireError) {
        var reader = ByteReader(body)
        message = try reader.readString()
    }
}
