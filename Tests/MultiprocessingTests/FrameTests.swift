import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Multiprocessing

@Suite("Frames and messages")
struct FrameTests {
    @Test("frames fed a byte at a time come out whole and in order")
    func parserByteByByte() throws {
        let frames = [
            Frame(kind: .hello, body: HelloMessage(version: 1, buildID: 42, pid: 7).encode()),
            Frame(kind: .shutdown, body: []),
            Frame(kind: .results, body: Array(repeating: 0xAB, count: 100_000)),
        ]
        let stream = frames.flatMap { $0.encoded() }
        let parser = FrameParser()
        var received: [Frame] = []
        for byte in stream {
            parser.append([byte])
            while let frame = try parser.next() { received.append(frame) }
        }
        #expect(received.map(\.kind) == frames.map(\.kind))
        #expect(received.map(\.body) == frames.map(\.body))
        #expect(parser.bufferedCount == 0)
    }

    @Test("a large frame read from a socket lands in its own array, whole, between small ones")
    func largeFrameFromSocket() throws {
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[0]); close(pair[1]) }
        let large = Frame(kind: .results, body: (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let stream = Frame(kind: .hello, body: [1, 2]).encoded() + large.encoded() + Frame(kind: .fatal, body: [3]).encoded()
        let parser = FrameParser()
        var received: [Frame] = []
        var sent = 0
        while received.count < 3 {
            if sent < stream.count {
                // A few kilobytes at a time, so the large body arrives over many reads.
                let piece = min(7_000, stream.count - sent)
                let n = stream[sent..<(sent + piece)].withUnsafeBytes { send(pair[1], $0.baseAddress, $0.count, 0) }
                #expect(n == piece)
                sent += piece
            }
            _ = parser.receive(from: pair[0])
            while let frame = try parser.next() { received.append(frame) }
        }
        #expect(received.map(\.kind) == [.hello, .results, .fatal])
        #expect(received[1].body == large.body)
        #expect(received[2].body == [3])
    }

    @Test("a frame longer than the cap is refused before anything is allocated")
    func oversizedFrame() {
        let parser = FrameParser(maxFrameSize: 1024)
        parser.append(Frame.header(kind: .results, bodyCount: 1 << 30))
        #expect(throws: WireError.lengthTooLarge(claimed: UInt64((1 << 30) + 1), limit: 1024)) { try parser.next() }
    }

    @Test("a frame of length 0 or of an unknown kind is refused")
    func malformedFrames() {
        let empty = FrameParser()
        empty.append([0, 0, 0, 0])
        #expect(throws: WireError.malformed("frame of length 0")) { try empty.next() }

        let unknown = FrameParser()
        unknown.append([1, 0, 0, 0, 200])
        #expect(throws: WireError.unexpectedByte(200, context: "a frame's kind")) { try unknown.next() }
    }

    @Test("bytesWanted asks for the rest of a partial frame")
    func bytesWanted() throws {
        let parser = FrameParser()
        #expect(parser.bytesWanted == 4)
        let frame = Frame(kind: .results, body: Array(repeating: 1, count: 1000)).encoded()
        parser.append(frame[0..<10])
        #expect(parser.bytesWanted == frame.count - 10)
        parser.append(frame[10...])
        #expect(try parser.next() != nil)
    }

    @Test("every message round-trips, and every truncation of it throws")
    func messagesRoundTrip() throws {
        let define = DefineJobMessage(jobID: 9, typeName: "4main6SquareV", blob: [1, 2, 3])
        #expect(try DefineJobMessage(decoding: define.encode()) == define)

        let chunk = RunChunkMessage(taskID: 77, jobID: 9, start: 2, end: 5, inputs: Payload([9, 9, 9]))
        let chunkBody = chunk.encodeFixedPart() + [9, 9, 9]
        #expect(try RunChunkMessage(decoding: chunkBody) == chunk)

        let target = RunTargetMessage(taskID: 1, jobID: 2, exitAfter: true)
        #expect(try RunTargetMessage(decoding: target.encode()) == target)

        let list = TaskListMessage(taskIDs: [1, 2, .max])
        #expect(try TaskListMessage(decoding: list.encode()) == list)

        let results = ResultsMessage(
            taskID: 5, start: 10, count: 3, final: true, elapsedNanos: 123,
            failures: [ItemFailureRecord(offset: 11, kind: .threw, typeName: "E", message: "boom ✗")],
            outputs: Payload([4, 5]))
        #expect(try ResultsMessage(decoding: results.encodeFixedPart() + [4, 5]) == results)

        let fatal = FatalMessage(message: "bad")
        #expect(try FatalMessage(decoding: fatal.encode()) == fatal)

        for body in [define.encode(), target.encode(), list.encode(), results.encodeFixedPart(), fatal.encode()] {
            for cut in 0..<body.count {
                let truncated = Array(body[0..<cut])
                #expect(throws: (any Error).self) {
                    _ = try DefineJobMessage(decoding: truncated)
                    _ = try RunTargetMessage(decoding: truncated)
                    _ = try TaskListMessage(decoding: truncated)
                    _ = try ResultsMessage(decoding: truncated)
                    _ = try FatalMessage(decoding: truncated)
                }
            }
        }
    }

    @Test("results with a failure outside their range, or an inverted chunk range, are refused")
    func inconsistentMessages() {
        let outside = ResultsMessage(
            taskID: 1, start: 0, count: 2, final: true, elapsedNanos: 0,
            failures: [ItemFailureRecord(offset: 5, kind: .threw, typeName: "E", message: "")], outputs: Payload([]))
        #expect(throws: WireError.self) { try ResultsMessage(decoding: outside.encodeFixedPart()) }
        let inverted = RunChunkMessage(taskID: 1, jobID: 1, start: 5, end: 2, inputs: Payload([]))
        #expect(throws: WireError.self) { try RunChunkMessage(decoding: inverted.encodeFixedPart()) }
    }

    @Test("the worker marker round-trips and refuses what it does not know")
    func marker() {
        let marker = WorkerMarker(parentPID: 1234, reportsResidentMemory: true, memoryLimitBytes: 1 << 30)
        #expect(WorkerMarker(parsing: marker.encoded) == marker)
        #expect(WorkerMarker(parsing: "2;ppid=1") == nil)
        #expect(WorkerMarker(parsing: "1;ppid=x") == nil)
        #expect(WorkerMarker(parsing: "1") == nil)
    }

    @Test("exit statuses decode from wait statuses and name their signals")
    func exitStatus() {
        #expect(ProcessExitStatus(waitStatus: 3 << 8) == .exited(3))
        #expect(ProcessExitStatus(waitStatus: 9) == .signaled(9))
        #expect(ProcessExitStatus.signaled(11).description == "killed by SIGSEGV")
        #expect(ProcessExitStatus.signaled(9).signalName == "SIGKILL")
        #expect(ProcessExitStatus.exited(0).isSuccess)
        #expect(ProcessExitStatus.signaled(15).code == -15)
    }
}
