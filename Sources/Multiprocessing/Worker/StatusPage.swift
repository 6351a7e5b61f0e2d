import CMultiprocessing
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A page of memory shared by a worker and its parent, where the worker notes which item it is
/// running at the cost of one store an item. The parent reads it to enforce per-item timeouts
/// and, after a crash, to tell the one item that was running (which failed) from the items that
/// had not started (which run again elsewhere).
///
/// The item is one word, `(task tag << 32) | offset`, so a reader never sees a torn pair; the
/// tag is the task id's low 32 bits, unique among the few tasks a worker holds at once.
struct StatusPage: @unchecked Sendable {
    // @unchecked: a raw pointer to shared memory; every word is accessed only through the
    // atomic loads and stores of cmp_atomic_*.

    private let words: UnsafeMutablePointer<UInt64>
    static let size = 4096

    private enum Word: Int {
        case current = 0, running, tasksDone, residentBytes
    }

    struct Snapshot: Equatable {
        var running: Bool
        var current: UInt64
        var tasksDone: UInt64
        var residentBytes: UInt64

        var taskTag: UInt32 { UInt32(truncatingIfNeeded: current >> 32) }
        var itemOffset: UInt32 { UInt32(truncatingIfNeeded: current) }

        /// Whether `taskID`'s item was running when the snapshot was taken.
        func isRunning(taskID: UInt64) -> Bool { running && taskTag == StatusPage.tag(taskID) }
    }

    static func tag(_ taskID: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: taskID) }

    /// Maps the page from a memfd (or any shared file) of at least `size` bytes.
    init?(mapping fd: Int32) {
        guard let address = mmap(nil, Self.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
              address != MAP_FAILED else { return nil }
        words = address.bindMemory(to: UInt64.self, capacity: Self.size / 8)
    }

    func unmap() {
        munmap(UnsafeMutableRawPointer(words), Self.size)
    }

    private func load(_ word: Word) -> UInt64 { cmp_atomic_load_u64(words + word.rawValue) }
    private func store(_ word: Word, _ value: UInt64) { cmp_atomic_store_u64(words + word.rawValue, value) }

    // MARK: Worker side

    func beginTask(taskID: UInt64, offset: UInt32) {
        store(.current, UInt64(Self.tag(taskID)) << 32 | UInt64(offset))
        store(.running, 1)
    }

    /// The word that names the running item, as an atomic: the per-item store is compiled
    /// into each job's own loop (see ``_ItemSession/begin(_:)``).
    var currentItemWord: UnsafeMutablePointer<Atomic<UInt64>> {
        UnsafeMutableRawPointer(words + Word.current.rawValue).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    func endTask(residentBytes: UInt64?) {
        store(.running, 0)
        store(.tasksDone, load(.tasksDone) &+ 1)
        if let residentBytes { store(.residentBytes, residentBytes) }
    }

    // MARK: Parent side

    func snapshot() -> Snapshot {
        Snapshot(running: load(.running) == 1, current: load(.current),
                 tasksDone: load(.tasksDone), residentBytes: load(.residentBytes))
    }
}
