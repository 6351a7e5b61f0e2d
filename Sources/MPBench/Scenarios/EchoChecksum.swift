#if Tools
/// The reply of the bulk-echo scenarios: a 64-bit word repeated over the whole reply, derived
/// from the checksum of everything the worker read. Multiplying by an odd constant is a
/// bijection on 64-bit words, so two inputs with different checksums always get different
/// replies: a worker that skipped reading (or read only part of) its input, or that left an
/// earlier reply in place, sends a reply the parent rejects. The Python peer derives its
/// word from its own checksum (`zlib.adler32`) with the same formula.
func replyWord(checksum: UInt64) -> UInt64 {
    (checksum &+ 1) &* 0x9E37_79B9_7F4A_7C15
}

/// Writes `word` over the `count / 8` words at `base` (every byte of a reply is written).
@inline(never)
func fillWords(_ base: UnsafeMutableRawPointer, count: Int, with word: UInt64) {
    let words = base.assumingMemoryBound(to: UInt64.self)
    for index in 0..<(count / 8) { words[index] = word }
}

/// Whether every one of the `count / 8` words at `base` is `word`: reads every byte, with no
/// early exit (so the loop vectorizes and a mismatch costs the same as a match).
@inline(never)
func allWords(_ base: UnsafeRawPointer, count: Int, equal word: UInt64) -> Bool {
    let words = base.assumingMemoryBound(to: UInt64.self)
    var difference: UInt64 = 0
    for index in 0..<(count / 8) { difference |= words[index] ^ word }
    return difference == 0
}
#endif  // Tools
