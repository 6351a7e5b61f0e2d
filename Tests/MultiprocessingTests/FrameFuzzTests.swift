import Testing
@testable import Multiprocessing

/// Random and mutated frames into the frame parser and every message decoder: each input must
/// either decode or throw, never trap. Seeded, so a failure is reproducible.
@Suite("Frame fuzzing")
struct FrameFuzzTests {
    static let iterations = 100_000

    @Test("100,000 random and mutated frames never make the parser or a decoder trap")
    func framesNeverTrap() async throws {
        var rng = SplitMix64(seed: 0xF4A3_E5)
        let valid: [[UInt8]] = [
            Frame(kind: .hello, body: HelloMessage(version: 1, buildID: 9, pid: 4).encode()).encoded(),
            Frame(kind: .defineJob, body: DefineJobMessage(jobID: 3, typeName: "4main6SquareV", blob: [1, 2, 3]).encode()).encoded(),
            Frame(kind: .runChunk, body: RunChunkMessage(taskID: 1, jobID: 3, start: 0, end: 2, inputs: Payload([])).encodeFixedPart() + [5, 6]).encoded(),
            Frame(kind: .runTarget, body: RunTargetMessage(taskID: 2, jobID: 3, exitAfter: false).encode()).encoded(),
            Frame(kind: .cancel, body: TaskListMessage(taskIDs: [1, 2, 3]).encode()).encoded(),
            Frame(kind: .results, body: ResultsMessage(
                taskID: 1, start: 0, count: 2, final: true, elapsedNanos: 5,
                failures: [ItemFailureRecord(offset: 1, kind: .threw, typeName: "E", message: "m")],
                outputs: Payload([])).encodeFixedPart() + [7, 8]).encoded(),
            Frame(kind: .fatal, body: FatalMessage(message: "bad").encode()).encoded(),
        ]
        var frames = 0, refused = 0
        for iteration in 0..<Self.iterations {
            if iteration % 2_000 == 0 { await Task.yield() }
            var input: [UInt8]
            if iteration % 8 == 0 {
                input = (0..<rng.below(64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                input = valid[rng.below(valid.count)] + (rng.chance(30) ? valid[rng.below(valid.count)] : [])
                for _ in 0..<(1 + rng.below(3)) {
                    guard !input.isEmpty else { break }
                    switch rng.below(5) {
                    case 0: input[rng.below(input.count)] ^= UInt8(1 << rng.below(8))
                    case 1: input[rng.below(input.count)] = UInt8(truncatingIfNeeded: rng.next())
                    case 2: input.removeLast(rng.below(input.count))
                    case 3: input.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.below(input.count))
                    default:
                        // Corrupt a length: the frame's, or one inside a body.
                        let at = rng.below(input.count)
                        for offset in 0..<min(4, input.count - at) { input[at + offset] = 0xFF }
                    }
                }
            }
            let parser = FrameParser(maxFrameSize: 1 << 20)
            // Fed in random pieces, as a socket delivers them.
            var offset = 0
            do {
                while offset < input.count {
                    let piece = min(input.count - offset, 1 + rng.below(16))
                    parser.append(input[offset..<(offset + piece)])
                    offset += piece
                    while let frame = try parser.next() {
                        frames += 1
                        decode(frame)
                    }
                }
            } catch {
                refused += 1
            }
        }
        #expect(frames > 0 && refused > 0, "both outcomes occur: \(frames) frames, \(refused) refused")
    }

    /// Decodes a body as its kind says, ignoring the error: only a trap would fail the test.
    private func decode(_ frame: Frame) {
        switch frame.kind {
        case .hello: _ = try? HelloMessage(decoding: frame.body)
        case .defineJob: _ = try? DefineJobMessage(decoding: frame.body)
        case .forgetJob: var reader = ByteReader(frame.body); _ = try? reader.read(UInt32.self)
        case .runChunk: _ = try? RunChunkMessage(decoding: frame.body)
        case .runTarget: _ = try? RunTargetMessage(decoding: frame.body)
        case .cancel, .dropped: _ = try? TaskListMessage(decoding: frame.body)
        case .results:
            if let results = try? ResultsMessage(decoding: frame.body) {
                var reader = results.outputs.reader()
                _ = try? BinaryDecoder().decode([Int].self, from: &reader)
            }
        case .fatal: _ = try? FatalMessage(decoding: frame.body)
        case .shutdown: break
        case .actorCreate: _ = try? ActorCreateMessage(decoding: frame.body)
        case .actorCall: _ = try? ActorCallMessage(decoding: frame.body)
        case .actorReply: _ = try? ActorReplyMessage(decoding: frame.body)
        }
    }
}
