/// A small, fast, seeded random number generator (SplitMix64): the corpus must come out byte
/// for byte the same from the same seed, on every machine and Swift version, which the
/// system generator does not promise.
struct SplitMix: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// A number in `0..<bound`, from the high bits (multiply-shift; the bias is negligible here).
    @inline(__always)
    mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: (UInt128(next()) &* UInt128(UInt64(bound))) >> 64)
    }

    /// True with probability `perMille`/1000.
    @inline(__always)
    mutating func chance(_ perMille: Int) -> Bool {
        below(1000) < perMille
    }

    /// A pick from a small list.
    mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }
}
