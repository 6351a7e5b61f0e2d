/// The test site's only source of "randomness": a hash of the seed and a few numbers (SplitMix64's
/// finaliser). Every property of a page comes from hashing its id, so the server can render any
/// page on demand, in any order, and the model that predicts the crawl sees the same site.
enum SiteHash {
    /// A number in `0..<bound` for these values.
    static func pick(_ bound: Int, _ values: UInt64...) -> Int {
        Int(mix(values) % UInt64(max(bound, 1)))
    }

    static func mix(_ values: [UInt64]) -> UInt64 {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for value in values {
            state = finalise(state ^ (value &* 0xBF58_476D_1CE4_E5B9))
        }
        return state
    }

    private static func finalise(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
