import Foundation
import Testing
@_spi(PoolBackends) @testable import Multiprocessing

/// A worker spoken to directly, frame by frame, as a buggy or hostile parent might: what it
/// cannot read ends it with a `fatal` frame and status 2; what it can read but cannot run
/// fails the item concerned, with a reason, and the worker goes on.
@Suite("Worker protocol")
struct WorkerProtocolTests {
    @Test("a frame of an unknown kind ends the worker with a fatal frame and status 2")
    func unknownKind() throws {
        let worker = try RawWorker()
        _ = try worker.expect(.hello)
        worker.send([1, 0, 0, 0, 99])
        let fatal = try FatalMessage(decoding: try worker.expect(.fatal).body)
        #expect(fatal.message.contains("kind"))
        #expect(worker.exitStatus() == .exited(2))
    }

    @Test("a truncated run frame ends the worker with a fatal frame")
    func truncatedRunFrame() throws {
        let worker = try RawWorker()
        _ = try worker.expect(.hello)
        worker.send(Frame(kind: .runChunk, body: [1, 2, 3]).encoded())
        let fatal = try FatalMessage(decoding: try worker.expect(.fatal).body)
        #expect(fatal.message.contains("malformed"))
        #expect(worker.exitStatus() == .exited(2))
    }

    @Test("an oversized length ends the worker before it allocates")
    func oversizedFrame() throws {
        let worker = try RawWorker()
        _ = try worker.expect(.hello)
        worker.send([0xFF, 0xFF, 0xFF, 0x7F, 3])
        _ = try worker.expect(.fatal)
        #expect(worker.exitStatus() == .exited(2))
    }

    @Test("an unknown job type, an undefined job and undecodable inputs fail their items; the worker goes on")
    func itemFailures() throws {
        let worker = try RawWorker()
        _ = try worker.expect(.hello)

        worker.send(Frame(kind: .defineJob, body: DefineJobMessage(jobID: 1, typeName: "NoSuchType", blob: []).encode()).encoded())
        worker.send(runChunk(taskID: 10, jobID: 1, inputs: try BinaryEncoder().encode([1, 2])))
        let unknown = try ResultsMessage(decoding: try worker.expect(.results).body)
        #expect(unknown.taskID == 10 && unknown.count == 2)
        #expect(unknown.failures.map(\.kind) == [.unknownJobType, .unknownJobType])

        worker.send(runChunk(taskID: 11, jobID: 7, inputs: try BinaryEncoder().encode([1])))
        let undefined = try ResultsMessage(decoding: try worker.expect(.results).body)
        #expect(undefined.failures.map(\.kind) == [.jobNotDefined])

        let square = DefineJobMessage(jobID: 2, typeName: try JobTypeName.of(Square.self), blob: try BinaryEncoder().encode(Square()))
        worker.send(Frame(kind: .defineJob, body: square.encode()).encoded())
        worker.send(runChunk(taskID: 12, jobID: 2, inputs: [0xDE, 0xAD, 0xBE, 0xEF]))
        let garbage = try ResultsMessage(decoding: try worker.expect(.results).body)
        #expect(garbage.failures.map(\.kind) == [.inputNotDecodable])

        // And it still works.
        worker.send(runChunk(taskID: 13, jobID: 2, inputs: try BinaryEncoder().encode([3, 4])))
        let good = try ResultsMessage(decoding: try worker.expect(.results).body)
        #expect(good.failures.isEmpty)
        var reader = good.outputs.reader()
        #expect(try BinaryDecoder().decode([Int].self, from: &reader) == [9, 16])

        worker.send(Frame(kind: .shutdown, body: []).encoded())
        #expect(worker.exitStatus() == .exited(0))
    }

    private func runChunk(taskID: UInt64, jobID: UInt32, inputs: [UInt8], count: UInt32? = nil) -> [UInt8] {
        let end = count ?? ((try? BinaryDecoder().decode([Int].self, from: inputs).count).map(UInt32.init) ?? 1)
        let message = RunChunkMessage(taskID: taskID, jobID: jobID, start: 0, end: end, inputs: Payload(inputs))
        return Frame(kind: .runChunk, body: message.encodeFixedPart() + inputs).encoded()
    }
}

/// A worker process started like a pool's, but driven by the test over its raw channel.
final class RawWorker {
    let spawned: SpawnedWorker
    let parser = FrameParser()

    init() throws {
        spawned = try WorkerSpawner.spawn(WorkerLaunchConfiguration())
    }

    deinit {
        kill(spawned.pid, SIGKILL)
        waitpid(spawned.pid, nil, 0)
        close(spawned.channel)
        close(spawned.stderr)
        if spawned.pidfd >= 0 { close(spawned.pidfd) }
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(spawned.channel, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The next frame, which must be of `kind` (waits up to 10 s).
    func expect(_ kind: FrameKind) throws -> Frame {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let frame = try parser.next() {
                #expect(frame.kind == kind)
                return frame
            }
            var entry = pollfd(fd: spawned.channel, events: Int16(POLLIN), revents: 0)
            _ = poll(&entry, 1, 100)
            parser.append(capacity: 65536) { buffer in
                max(0, recv(spawned.channel, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT)))
            }
        }
        throw WireError.malformed("no \(kind) frame within 10 s")
    }

    /// Waits (up to 10 s) for the worker to exit.
    func exitStatus() -> ProcessExitStatus? {
        for _ in 0..<1000 {
            var status: Int32 = 0
            if waitpid(spawned.pid, &status, WNOHANG) == spawned.pid { return ProcessExitStatus(waitStatus: status) }
            usleep(10_000)
        }
        return nil
    }
}
