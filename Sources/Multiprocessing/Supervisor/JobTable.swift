/// The job values the pool's workers hold decoded, by id, so that a job is sent and decoded
/// once per worker rather than once per task. Unused definitions are kept a while (a loop of
/// `apply` with one job reuses its id), then forgotten.
struct JobTable {
    struct Entry {
        var typeName: String
        var blob: [UInt8]
        var references = 0
        var lastUsed: UInt64 = 0
    }

    private struct Key: Hashable {
        var typeName: String
        var blob: [UInt8]
    }

    private(set) var entries: [UInt32: Entry] = [:]
    private var ids: [Key: UInt32] = [:]
    private var nextID: UInt32 = 1
    private var clock: UInt64 = 0
    static let keptUnused = 32

    mutating func acquire(typeName: String, blob: [UInt8]) -> UInt32 {
        clock += 1
        let key = Key(typeName: typeName, blob: blob)
        if let id = ids[key] {
            entries[id]!.references += 1
            entries[id]!.lastUsed = clock
            return id
        }
        let id = nextID
        nextID = nextID == .max ? 1 : nextID + 1
        entries[id] = Entry(typeName: typeName, blob: blob, references: 1, lastUsed: clock)
        ids[key] = id
        return id
    }

    /// Drops a reference; returns the ids now forgotten (which workers should forget too).
    mutating func release(_ id: UInt32) -> [UInt32] {
        guard entries[id] != nil else { return [] }
        entries[id]!.references -= 1
        let unused = entries.filter { $0.value.references <= 0 }
        guard unused.count > Self.keptUnused else { return [] }
        let evicted = unused.sorted { $0.value.lastUsed < $1.value.lastUsed }
            .prefix(unused.count - Self.keptUnused).map(\.key)
        for evictedID in evicted {
            if let entry = entries.removeValue(forKey: evictedID) {
                ids[Key(typeName: entry.typeName, blob: entry.blob)] = nil
            }
        }
        return evicted
    }

    func definition(_ id: UInt32) -> DefineJobMessage? {
        entries[id].map { DefineJobMessage(jobID: id, typeName: $0.typeName, blob: $0.blob) }
    }
}
