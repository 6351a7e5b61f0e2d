import Synchronization

/// The regions this process has mapped, by nonce, held weakly: decoding a handle of a region
/// this process already maps returns that mapping (one descriptor and one mapping per region
/// per process, however many times a job carrying it is decoded), and a region is unmapped as
/// soon as its last object here is released.
enum RegionRegistry {
    private struct WeakRegion {
        weak var region: SharedRegion?
    }

    private static let table = Mutex<[UInt64: WeakRegion]>([:])

    static func register(_ region: SharedRegion) {
        table.withLock { $0[region.nonce] = WeakRegion(region: region) }
    }

    /// The live region with `nonce`, or the one `attach` opens (registered before the lock is
    /// released, so two tasks decoding the same handle at once share one mapping).
    static func findOrAttach(nonce: UInt64, _ attach: () throws -> SharedRegion) throws -> SharedRegion {
        try table.withLock { table in
            if let region = table[nonce]?.region { return region }
            let region = try attach()
            table[nonce] = WeakRegion(region: region)
            return region
        }
    }

    /// Called by a region's deinit: drops the entry unless a new mapping replaced it meanwhile.
    static func forget(nonce: UInt64) {
        table.withLock { table in
            if let entry = table[nonce], entry.region == nil { table[nonce] = nil }
        }
    }
}
