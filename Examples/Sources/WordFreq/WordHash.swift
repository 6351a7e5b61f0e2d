/// The hash of a word's bytes, eight bytes at a time, and the word's first eight bytes.
///
/// The scanner keeps each word in a scratch buffer with at least 8 spare bytes after it, so the
/// last partial word of 8 bytes can be loaded whole and masked instead of byte by byte.
enum WordHash {
    /// - Returns: the hash, and the first `min(count, 8)` bytes as a little-endian integer
    ///   (the rest zero): most words fit in it, and the table compares them without a `memcmp`.
    @inline(__always)
    static func hash(_ bytes: UnsafePointer<UInt8>, count: Int) -> (hash: UInt64, prefix: UInt64) {
        let raw = UnsafeRawPointer(bytes)
        let first = masked(raw.loadUnaligned(as: UInt64.self), count: count)
        var hash = mix(0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count) ^ first)
        var offset = 8
        while offset < count {
            hash = mix(hash ^ masked(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self), count: count - offset))
            offset += 8
        }
        return (finish(hash), first)
    }

    /// The low `count` bytes of `word` (all of them when `count` >= 8).
    @inline(__always)
    static func masked(_ word: UInt64, count: Int) -> UInt64 {
        count >= 8 ? word : word & ((1 &<< UInt64(count &* 8)) &- 1)
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        let product = value &* 0xBF58_476D_1CE4_E5B9
        return product ^ (product >> 31)
    }

    @inline(__always)
    private static func finish(_ value: UInt64) -> UInt64 {
        var value = value ^ (value >> 32)
        value &*= 0xD6E8_FEB8_6659_FD93
        return value ^ (value >> 32)
    }
}
