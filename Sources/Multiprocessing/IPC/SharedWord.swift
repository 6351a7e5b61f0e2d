import CMultiprocessing

/// A 32-bit word in shared memory, accessed only atomically (sequentially consistent). It is
/// also a futex: processes sleep until it changes.
struct SharedWord32: @unchecked Sendable {
    // @unchecked: a pointer into a shared mapping; every access is a C atomic, and the mapping
    // outlives the word because the object holding both keeps its region alive.
    let address: UnsafeMutableRawPointer

    init(_ address: UnsafeMutableRawPointer) {
        self.address = address
    }

    var futexAddress: UnsafeMutablePointer<UInt32> { address.assumingMemoryBound(to: UInt32.self) }

    @inline(__always) func load() -> UInt32 { cmp_ipc_load32(address) }
    @inline(__always) func store(_ value: UInt32) { cmp_ipc_store32(address, value) }
    @inline(__always) func exchange(_ value: UInt32) -> UInt32 { cmp_ipc_exchange32(address, value) }
    /// Adds (wrapping) and returns the old value.
    @inline(__always) @discardableResult
    func add(_ value: UInt32) -> UInt32 { cmp_ipc_fetch_add32(address, value) }
    /// Subtracts (wrapping) and returns the old value.
    @inline(__always) @discardableResult
    func subtract(_ value: UInt32) -> UInt32 { cmp_ipc_fetch_sub32(address, value) }

    /// Stores `desired` if the word holds `expected`; returns whether it did and the value seen.
    @inline(__always)
    func compareExchange(expected: UInt32, desired: UInt32) -> (exchanged: Bool, original: UInt32) {
        var seen = expected
        let exchanged = cmp_ipc_compare_exchange32(address, &seen, desired)
        return (exchanged, seen)
    }

    /// Wakes up to `count` processes' waiters sleeping on this word.
    func wake(_ count: Int32 = Int32.max) {
        _ = cmp_ipc_futex_wake(futexAddress, count)
    }
}

/// A 64-bit word in shared memory, accessed only atomically.
struct SharedWord64: @unchecked Sendable {
    // @unchecked: as for SharedWord32.
    let address: UnsafeMutableRawPointer

    init(_ address: UnsafeMutableRawPointer) {
        self.address = address
    }

    @inline(__always) func load() -> UInt64 { cmp_ipc_load64(address) }
    @inline(__always) func store(_ value: UInt64) { cmp_ipc_store64(address, value) }
    @inline(__always) @discardableResult
    func add(_ value: UInt64) -> UInt64 { cmp_ipc_fetch_add64(address, value) }
    @inline(__always) @discardableResult
    func subtract(_ value: UInt64) -> UInt64 { cmp_ipc_fetch_sub64(address, value) }

    @inline(__always)
    func compareExchange(expected: UInt64, desired: UInt64) -> (exchanged: Bool, original: UInt64) {
        var seen = expected
        let exchanged = cmp_ipc_compare_exchange64(address, &seen, desired)
        return (exchanged, seen)
    }

    /// Acquire and release access, for the indices of single-producer single-consumer rings.
    @inline(__always) func loadAcquiring() -> UInt64 { cmp_ipc_load_acquire64(address) }
    @inline(__always) func storeReleasing(_ value: UInt64) { cmp_ipc_store_release64(address, value) }
}
