/// Draws indices with given weights in constant time (Vose's alias method): one random number
/// per draw, where a binary search over cumulative weights would cost ~16 comparisons and
/// cache misses for a vocabulary of tens of thousands of words.
struct AliasSampler {
    private var threshold: [UInt32]
    private var alias: [Int32]

    init(weights: [Double]) {
        let count = weights.count
        let sum = weights.reduce(0, +)
        var scaled = weights.map { $0 * Double(count) / sum }
        threshold = [UInt32](repeating: UInt32.max, count: count)
        alias = (0..<count).map(Int32.init)
        var small = scaled.indices.filter { scaled[$0] < 1 }
        var large = scaled.indices.filter { scaled[$0] >= 1 }
        while let below = small.popLast(), let above = large.last {
            threshold[below] = UInt32(min(scaled[below] * 4_294_967_296, 4_294_967_295))
            alias[below] = Int32(above)
            scaled[above] -= 1 - scaled[below]
            if scaled[above] < 1 {
                large.removeLast()
                small.append(above)
            }
        }
        // What is left is 1 up to rounding: keeps its own column (threshold max).
    }

    /// An index, drawn with probability proportional to its weight.
    @inline(__always)
    func draw(_ random: inout SplitMix) -> Int {
        let bits = random.next()
        // High 32 bits pick the column, low 32 bits decide between it and its alias.
        let column = Int(truncatingIfNeeded: ((bits >> 32) &* UInt64(threshold.count)) >> 32)
        return UInt32(truncatingIfNeeded: bits) < threshold[column] ? column : Int(alias[column])
    }
}
