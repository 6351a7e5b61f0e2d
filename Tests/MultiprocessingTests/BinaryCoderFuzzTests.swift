import Testing
@testable import Multiprocessing

// MARK: - Types under fuzz

private enum FuzzEvent: Codable, Equatable {
    case started(at: Int64, by: String)
    case progress(Double, note: String?)
    case finished([UInt8])
    case cancelled
}

private struct FuzzInner: Codable, Equatable {
    var id: UInt32
    var label: String
    var weights: [Float]
    var flags: [Bool]
    var maybe: Int16?
}

private struct FuzzRecord: Codable, Equatable {
    var name: String
    var count: Int
    var ratio: Double
    var values: [Int]
    var inner: [FuzzInner]
    var events: [FuzzEvent]
    var byName: [String: Int8]
    var byNumber: [Int: [String]]
    var optionalOptional: Int??
    var sparse: [UInt64?]
}

private indirect enum FuzzTree: Codable, Equatable {
    case leaf(String)
    case node([FuzzTree])
    case pair(left: FuzzTree, right: FuzzTree?)
}

private final class FuzzBase: Codable {
    var a: Int
    var list: [Int32]
    init(a: Int, list: [Int32]) {
        self.a = a
        self.list = list
    }
}

private final class FuzzDerivedBox: Codable {
    var base: FuzzBase
    var extra: String
    init(base: FuzzBase, extra: String) {
        self.base = base
        self.extra = extra
    }
    enum CodingKeys: String, CodingKey { case extra }
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        extra = try container.decode(String.self, forKey: .extra)
        base = try FuzzBase(from: container.superDecoder())
    }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(extra, forKey: .extra)
        try base.encode(to: container.superEncoder())
    }
}

/// Read back in the reverse of the written order, with `allKeys` and `contains`: exercises the
/// out-of-order lookups (scans, then an index).
private struct FuzzReversed: Codable {
    var a: Int
    var b: String
    var c: [Double]
    var d: FuzzInner?
    var e: [String: Int]
    var f: Bool
    var g: Int??

    enum CodingKeys: String, CodingKey { case a, b, c, d, e, f, g }

    init(a: Int, b: String, c: [Double], d: FuzzInner?, e: [String: Int], f: Bool, g: Int??) {
        self.a = a
        self.b = b
        self.c = c
        self.d = d
        self.e = e
        self.f = f
        self.g = g
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        _ = container.allKeys
        _ = container.contains(.d)
        g = try container.decodeIfPresent(Int?.self, forKey: .g)
        f = try container.decode(Bool.self, forKey: .f)
        e = try container.decode([String: Int].self, forKey: .e)
        d = try container.decodeIfPresent(FuzzInner.self, forKey: .d)
        c = try container.decode([Double].self, forKey: .c)
        b = try container.decode(String.self, forKey: .b)
        a = try container.decode(Int.self, forKey: .a)
    }
}

// MARK: - Generators

private func randomString(_ rng: inout SplitMix64) -> String {
    let alphabet: [String] = ["a", "b", "key", "é", "e\u{301}", "👍", "\u{0}", " ", "名", "z"]
    return (0..<rng.below(6)).map { _ in alphabet[rng.below(alphabet.count)] }.joined()
}

private func randomInner(_ rng: inout SplitMix64) -> FuzzInner {
    FuzzInner(
        id: UInt32(truncatingIfNeeded: rng.next()),
        label: randomString(&rng),
        weights: (0..<rng.below(4)).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) },
        flags: (0..<rng.below(4)).map { _ in rng.chance(50) },
        maybe: rng.chance(50) ? Int16(truncatingIfNeeded: rng.next()) : nil
    )
}

private func randomEvent(_ rng: inout SplitMix64) -> FuzzEvent {
    switch rng.below(4) {
    case 0: return .started(at: Int64(bitPattern: rng.next()), by: randomString(&rng))
    case 1: return .progress(Double(rng.below(100)) / 7, note: rng.chance(50) ? randomString(&rng) : nil)
    case 2: return .finished((0..<rng.below(5)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    default: return .cancelled
    }
}

private func randomRecord(_ rng: inout SplitMix64) -> FuzzRecord {
    var byName: [String: Int8] = [:]
    for _ in 0..<rng.below(4) { byName[randomString(&rng)] = Int8(truncatingIfNeeded: rng.next()) }
    var byNumber: [Int: [String]] = [:]
    for _ in 0..<rng.below(3) { byNumber[rng.below(1000) - 500] = (0..<rng.below(3)).map { _ in randomString(&rng) } }
    let optionalOptional: Int?? = switch rng.below(3) {
    case 0: nil
    case 1: .some(nil)
    default: .some(.some(rng.below(100)))
    }
    return FuzzRecord(
        name: randomString(&rng),
        count: Int(bitPattern: UInt(truncatingIfNeeded: rng.next())),
        ratio: Double(rng.below(1000)) / 3,
        values: (0..<rng.below(5)).map { _ in rng.below(1 << 20) },
        inner: (0..<rng.below(3)).map { _ in randomInner(&rng) },
        events: (0..<rng.below(3)).map { _ in randomEvent(&rng) },
        byName: byName,
        byNumber: byNumber,
        optionalOptional: optionalOptional,
        sparse: (0..<rng.below(4)).map { _ in rng.chance(50) ? rng.next() : nil }
    )
}

private func randomTree(_ rng: inout SplitMix64, depth: Int) -> FuzzTree {
    if depth == 0 || rng.chance(30) { return .leaf(randomString(&rng)) }
    if rng.chance(50) {
        return .node((0..<rng.below(3)).map { _ in randomTree(&rng, depth: depth - 1) })
    }
    return .pair(
        left: randomTree(&rng, depth: depth - 1),
        right: rng.chance(50) ? randomTree(&rng, depth: depth - 1) : nil
    )
}

private func randomReversed(_ rng: inout SplitMix64) -> FuzzReversed {
    var e: [String: Int] = [:]
    for _ in 0..<rng.below(6) { e[randomString(&rng)] = rng.below(1000) }
    return FuzzReversed(
        a: rng.below(1 << 30), b: randomString(&rng), c: (0..<rng.below(3)).map { Double($0) },
        d: rng.chance(50) ? randomInner(&rng) : nil, e: e, f: rng.chance(50),
        g: rng.chance(50) ? .some(rng.chance(50) ? nil : rng.below(9)) : nil
    )
}

// MARK: - Mutations

private func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
    var bytes = input
    let rounds = rng.chance(70) ? 1 : 2 + rng.below(3)
    for _ in 0..<rounds {
        switch rng.below(20) {
        case 0..<7:  // bit flip
            guard !bytes.isEmpty else { continue }
            bytes[rng.below(bytes.count)] ^= UInt8(1) << UInt8(rng.below(8))
        case 7, 8:  // byte overwrite
            guard !bytes.isEmpty else { continue }
            bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
        case 9, 10:  // truncation
            bytes = Array(bytes.prefix(rng.below(bytes.count + 1)))
        case 11, 12:  // insertion
            let at = rng.below(bytes.count + 1)
            bytes.insert(contentsOf: (0..<(1 + rng.below(4))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        case 13, 14:  // deletion
            guard !bytes.isEmpty else { continue }
            let at = rng.below(bytes.count)
            bytes.removeSubrange(at..<min(bytes.count, at + 1 + rng.below(4)))
        case 15, 16, 17:  // length-field corruption: a u32 overwritten with an extreme or nearby value
            guard bytes.count >= 4 else { continue }
            let at = rng.below(bytes.count - 3)
            let old = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            let candidates: [UInt32] = [0, 1, .max, .max - 3, 1 << 31, old &+ 1, old &- 1, old &+ 8, old &* 2]
            let value = candidates[rng.below(candidates.count)]
            for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
        case 18:  // varint corruption: a long varint written over a byte
            guard !bytes.isEmpty else { continue }
            let at = rng.below(bytes.count)
            let varint: [UInt8] = [[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], [0x80, 0x80, 0x80, 0x01], [0xFF]][rng.below(3)]
            bytes.replaceSubrange(at..<min(bytes.count, at + 1), with: varint)
        default:  // a random tag byte
            guard !bytes.isEmpty else { continue }
            bytes[rng.below(bytes.count)] = UInt8(rng.below(0x14))
        }
    }
    return bytes
}

// MARK: - The test

private func check(kind: Int, _ bytes: [UInt8]) throws -> Outcome {
    switch kind {
    case 0: return try check(FuzzRecord.self, bytes)
    case 1: return try check(FuzzTree.self, bytes)
    case 2: return try check([FuzzInner].self, bytes)
    case 3: return try check([FuzzEvent].self, bytes)
    case 4: return try check(FuzzDerivedBox.self, bytes)
    default: return try check(FuzzReversed.self, bytes)
    }
}

private enum Outcome {
    case decoded
    case threw
}

/// Decodes `bytes` as `T`; on success, the value must re-encode and decode again.
private func check<T: Codable>(_ type: T.Type, _ bytes: [UInt8]) throws -> Outcome {
    let value: T
    do {
        value = try BinaryDecoder().decode(T.self, from: bytes)
    } catch {
        return .threw
    }
    let again = try BinaryEncoder().encode(value)
    _ = try BinaryDecoder().decode(T.self, from: again)
    return .decoded
}

@Suite("Binary coder fuzzing")
struct BinaryCoderFuzzTests {
    static let iterations = 100_000

    @Test func mutatedAndRandomInputsNeverTrap() async throws {
        var rng = SplitMix64(seed: 0x5EED_2024)
        // (type to decode as, a valid encoding of that type)
        var corpus: [(kind: Int, bytes: [UInt8])] = []
        for _ in 0..<24 { corpus.append((0, try BinaryEncoder().encode(randomRecord(&rng)))) }
        for _ in 0..<12 { corpus.append((1, try BinaryEncoder().encode(randomTree(&rng, depth: 6)))) }
        for _ in 0..<6 { corpus.append((2, try BinaryEncoder().encode((0..<3).map { _ in randomInner(&rng) }))) }
        for _ in 0..<6 { corpus.append((3, try BinaryEncoder().encode((0..<3).map { _ in randomEvent(&rng) }))) }
        for _ in 0..<4 {
            let box = FuzzDerivedBox(base: FuzzBase(a: rng.below(99), list: [1, 2]), extra: randomString(&rng))
            corpus.append((4, try BinaryEncoder().encode(box)))
        }
        for _ in 0..<8 { corpus.append((5, try BinaryEncoder().encode(randomReversed(&rng)))) }
        // Unmutated inputs decode.
        for (kind, bytes) in corpus { #expect(try check(kind: kind, bytes) == .decoded) }

        var decoded = 0
        for iteration in 0..<Self.iterations {
            // A long CPU-bound test must not hold a Swift concurrency thread the whole time:
            // other tests' tasks (cancellations, timeouts) wait for one.
            if iteration % 2_000 == 0 { await Task.yield() }
            let input: [UInt8]
            var kind = rng.below(6)
            if iteration % 10 == 0 {
                // Random bytes, often with a plausible header.
                var random = (0..<rng.below(48)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if rng.chance(60), random.count >= 5 {
                    let body = UInt32(random.count - 5)
                    for i in 0..<4 { random[i] = UInt8(truncatingIfNeeded: body >> (8 * UInt32(i))) }
                    random[random.count - 1] = 0
                }
                input = random
            } else {
                let seed = corpus[rng.below(corpus.count)]
                input = mutate(seed.bytes, &rng)
                // Mostly as the type that was encoded, so mutations reach deep into the decoder.
                if rng.chance(85) { kind = seed.kind }
            }
            if try check(kind: kind, input) == .decoded { decoded += 1 }
        }
        // Some mutations (e.g. a flipped payload bit) leave a valid message: both outcomes occur.
        #expect(decoded > 0)
        #expect(decoded < Self.iterations)
    }
}
