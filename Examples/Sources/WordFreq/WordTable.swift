#if canImport(Glibc)
import Glibc
#endif

/// Counts per word, keyed by the word's bytes: a hash table whose keys live back to back in
/// one byte arena.
///
/// Counting tens of millions of words must not make a `String` (an allocation, a Unicode
/// check) per word: the scanner hands over a pointer to the word's lowercased bytes, and a
/// word becomes a `String` only when the final answer is printed.
///
/// The layout is about cache misses, which cost more than everything else here: the probed
/// table holds only 4-byte entry numbers (1 MB for 100k words, mostly in the core's L2), and
/// the entries are dense in the order the words were first met, so the frequent words, met
/// first, share a few hot cache lines. An entry keeps the word's first 8 bytes, so most words
/// are compared without touching the arena.
///
/// A noncopyable struct, not a class: the hot loop mutates it through `inout`, which the
/// compiler checks statically, where a class's stored properties pay a dynamic exclusivity
/// check on every access.
struct WordTable: ~Copyable {
    private struct Entry {
        var prefix: UInt64
        var count: UInt64
        var hash: UInt32
        var length: UInt32
        var offset: UInt32
    }

    /// Open addressing with linear probing: 0 is empty, n is `entries[n - 1]`.
    private var index: UnsafeMutablePointer<UInt32>
    private var mask: Int
    private var entries: UnsafeMutablePointer<Entry>
    private var entryCapacity: Int
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCount = 0
    private var arenaCapacity: Int
    /// Distinct words.
    private(set) var distinct = 0
    /// Words counted, with repetitions.
    private(set) var total = 0

    init(capacity: Int = 1 << 10) {
        var slotCount = 16
        while slotCount < capacity * 2 { slotCount <<= 1 }
        index = Self.emptyIndex(slotCount)
        mask = slotCount - 1
        entryCapacity = slotCount / 2
        entries = .allocate(capacity: entryCapacity)
        arenaCapacity = max(1 << 14, capacity * 8)
        arena = .allocate(capacity: arenaCapacity + 8)  // +8: whole 8-byte loads at the end
    }

    deinit {
        index.deallocate()
        entries.deallocate()
        arena.deallocate()
    }

    private static func emptyIndex(_ count: Int) -> UnsafeMutablePointer<UInt32> {
        let index = UnsafeMutablePointer<UInt32>.allocate(capacity: count)
        index.initialize(repeating: 0, count: count)
        return index
    }

    /// Adds `occurrences` to the word of `length` bytes at `word`. The 8 bytes after the word
    /// must be readable (the hash loads whole 8-byte words; it ignores the extra bytes).
    @inline(__always)
    mutating func add(_ word: UnsafePointer<UInt8>, length: Int, occurrences: UInt64 = 1) {
        total &+= Int(occurrences)
        let (hash, prefix) = WordHash.hash(word, count: length)
        let shortHash = UInt32(truncatingIfNeeded: hash >> 32)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let number = Int(index[slot])
            if number == 0 { break }
            let entry = entries + (number &- 1)
            if entry.pointee.hash == shortHash && entry.pointee.prefix == prefix && Int(entry.pointee.length) == length
                && (length <= 8 || Self.sameTail(arena + Int(entry.pointee.offset), word, length)) {
                entry.pointee.count &+= occurrences
                return
            }
            slot = (slot &+ 1) & mask
        }
        insert(word, length: length, hash: shortHash, prefix: prefix, occurrences: occurrences, at: slot)
    }

    /// Whether two words of `length` (> 8) bytes agree past their first 8 bytes; both must have
    /// 8 readable bytes past their end.
    @inline(__always)
    private static func sameTail(_ left: UnsafePointer<UInt8>, _ right: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        var offset = 8
        while offset < length {
            let a = UnsafeRawPointer(left).loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let b = UnsafeRawPointer(right).loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            if WordHash.masked(a ^ b, count: length &- offset) != 0 { return false }
            offset &+= 8
        }
        return true
    }

    private mutating func insert(_ word: UnsafePointer<UInt8>, length: Int, hash: UInt32, prefix: UInt64,
                                 occurrences: UInt64, at slot: Int) {
        if arenaCount + length > arenaCapacity { growArena(toFit: arenaCount + length) }
        if distinct == entryCapacity { growEntries() }
        (arena + arenaCount).update(from: word, count: length)
        (entries + distinct).initialize(to: Entry(prefix: prefix, count: occurrences, hash: hash,
                                                   length: UInt32(length), offset: UInt32(arenaCount)))
        arenaCount += length
        distinct += 1
        index[slot] = UInt32(distinct)
        // Keep the index at most half full: probe sequences stay short.
        if distinct * 2 > mask + 1 { rehash(slotCount: (mask + 1) * 2) }
    }

    private mutating func growArena(toFit needed: Int) {
        var capacity = arenaCapacity * 2
        while capacity < needed { capacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + 8)
        grown.update(from: arena, count: arenaCount)
        arena.deallocate()
        arena = grown
        arenaCapacity = capacity
    }

    private mutating func growEntries() {
        let grown = UnsafeMutablePointer<Entry>.allocate(capacity: entryCapacity * 2)
        grown.moveInitialize(from: entries, count: distinct)
        entries.deallocate()
        entries = grown
        entryCapacity *= 2
    }

    private mutating func rehash(slotCount: Int) {
        index.deallocate()
        index = Self.emptyIndex(slotCount)
        mask = slotCount - 1
        for number in 0..<distinct {
            // An entry keeps only the hash's high half: hash the word again for its slot.
            let entry = entries[number]
            let (hash, _) = WordHash.hash(arena + Int(entry.offset), count: Int(entry.length))
            var slot = Int(truncatingIfNeeded: hash) & mask
            while index[slot] != 0 { slot = (slot + 1) & mask }
            index[slot] = UInt32(number + 1)
        }
    }

    /// Calls `body` with every word's bytes and count, in the order they were first met.
    func forEach(_ body: (UnsafeBufferPointer<UInt8>, Int) -> Void) {
        for number in 0..<distinct {
            let entry = entries[number]
            body(UnsafeBufferPointer(start: arena + Int(entry.offset), count: Int(entry.length)), Int(entry.count))
        }
    }
}
