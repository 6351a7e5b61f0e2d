import CMultiprocessing
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A page of memory shared by a worker and its parent, where the worker notes which item it is
/// running at the cost of one store an item. The parent reads it to enforce per-item timeouts
/// and, after a death, to decide whom the death is charged to (see ``Blame``).
///
/// The page survives whatever a job does to the worker's descriptors (it is mapped; its
/// descriptor is closed at start), so it still speaks when the channel cannot.
///
/// An item is one word, `(task tag << 32) | offset`, so a reader never sees a torn pair; the
/// tag is the task id's low 32 bits, unique among the few tasks a worker holds at once.
struct StatusPage: @unchecked Sendable {
    // @unchecked: a raw pointer to shared memory; every word is accessed only through the
    // atomic loads and stores of cmp_atomic_*.

    private let words: UnsafeMutablePointer<UInt64>
    static let size = 4096

    private enum Word: Int {
        case current = 0, running, tasksDone, residentBytes, stage, stageFrom, stageJob, suspectsFrom, channelLost
        case bytesAnnounced
    }

    /// What the worker is doing outside a job's `run`, where a death is not the current item's
    /// alone.
    enum Stage: UInt64, Sendable {
        /// Running items, decoding their inputs (one at a time, each noted as its item), or
        /// between them: a death is the current item's.
        case items = 0
        /// Encoding outputs from `stageFrom` through `current`: any of them may be at fault.
        case encodingOutputs
        /// Decoding the job value `stageJob`: the job itself is at fault.
        case definingJob
    }

    struct Snapshot: Equatable, Sendable {
        var running: Bool
        /// The last item begun (it stays after its task ends).
        var current: UInt64
        var tasksDone: UInt64
        var residentBytes: UInt64
        var stage: Stage = .items
        /// The first item of the outputs being encoded, in stage `encodingOutputs`.
        var stageFrom: UInt64 = 0
        /// The first item not known to have left the channel intact (see ``Blame``).
        var suspectsFrom: UInt64 = 0
        /// The worker found its channel closed or replaced by a job, and could not report.
        var channelLost = false
        /// The job being decoded, in stage `definingJob`.
        var stageJob: UInt32 = 0

        var taskTag: UInt32 { UInt32(truncatingIfNeeded: current >> 32) }
        var itemOffset: UInt32 { UInt32(truncatingIfNeeded: current) }

        /// Whether `taskID`'s item was running when the snapshot was taken.
        func isRunning(taskID: UInt64) -> Bool { running && taskTag == StatusPage.tag(taskID) }
    }

    static func tag(_ taskID: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: taskID) }

    /// The word naming item `offset` of task `taskID`.
    static func item(taskID: UInt64, offset: UInt32) -> UInt64 { UInt64(tag(taskID)) << 32 | UInt64(offset) }

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
        store(.current, Self.item(taskID: taskID, offset: offset))
        store(.running, 1)
    }

    func setStage(_ stage: Stage, from: UInt64 = 0, job: UInt32 = 0) {
        store(.stageFrom, from)
        store(.stageJob, UInt64(job))
        store(.stage, stage.rawValue)
    }

    /// The worker's channel was found intact: only items from here on can have damaged it.
    /// `itemDone` says whether the current item has returned (else it is still a suspect).
    func markChannelIntact(itemDone: Bool) {
        let current = load(.current)
        store(.suspectsFrom, itemDone ? current &+ 1 : current)
    }

    func markChannelLost() {
        store(.channelLost, 1)
    }

    /// The worker is about to write `count` bytes into its channel (called before the write, by
    /// the one writer at a time): the parent can then tell bytes a job wrote into the channel
    /// from the worker's own, whatever they look like, as soon as it reads more than this.
    func announce(bytes count: Int) {
        store(.bytesAnnounced, load(.bytesAnnounced) &+ UInt64(count))
    }

    var current: UInt64 { load(.current) }

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

    /// Every byte the worker has written, or is writing, into its channel (see ``announce(bytes:)``).
    var bytesAnnounced: UInt64 { load(.bytesAnnounced) }

    func snapshot() -> Snapshot {
        Snapshot(running: load(.running) == 1, current: load(.current),
                 tasksDone: load(.tasksDone), residentBytes: load(.residentBytes),
                 stage: Stage(rawValue: load(.stage)) ?? .items, stageFrom: load(.stageFrom), suspectsFrom: load(.suspectsFrom),
                 channelLost: load(.channelLost) == 1, stageJob: UInt32(truncatingIfNeeded: load(.stageJob)))
    }
}
