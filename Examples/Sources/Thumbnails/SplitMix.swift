/// A small seeded random number generator (SplitMix64): the batch must come out the same from
/// the same seed on every machine, which the system generator does not promise.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: (UInt128(next()) &* UInt128(UInt64(bound))) >> 64)
    }

    /// A number in `range`.
    mutating func between(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.count)
    }

    /// A number in 0..<1.
    mutating func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    mutating func color() -> RGB {
        RGB(UInt8(truncatingIfNeeded: next()), UInt8(truncatingIfNeeded: next() >> 8), UInt8(truncatingIfNeeded: next() >> 16))
    }
}
