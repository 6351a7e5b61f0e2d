import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// What a parent tells a worker it starts, through the environment variable whose presence
/// makes the executable a worker: `SWIFT_MULTIPROCESSING_WORKER=1;ppid=…;rss=…;mem=…;frame=…`.
struct WorkerMarker: Equatable, Sendable {
    static let variable = CMP_WORKER_ENV
    static let version = 1

    /// The parent's pid: a worker whose parent is already gone exits at once.
    var parentPID: Int32
    /// Note resident memory in the status page after each task (for recycling by memory).
    var reportsResidentMemory: Bool = false
    /// A cap on the worker's data segment (RLIMIT_DATA), in bytes; 0 for none.
    var memoryLimitBytes: Int = 0
    /// The largest frame the parent reads: the worker sends none larger.
    var maxFrameSize: Int = Frame.defaultMaxSize

    var encoded: String {
        "\(Self.version);ppid=\(parentPID);rss=\(reportsResidentMemory ? 1 : 0);mem=\(memoryLimitBytes);frame=\(maxFrameSize)"
    }

    init(parentPID: Int32, reportsResidentMemory: Bool = false, memoryLimitBytes: Int = 0,
         maxFrameSize: Int = Frame.defaultMaxSize) {
        self.parentPID = parentPID
        self.reportsResidentMemory = reportsResidentMemory
        self.memoryLimitBytes = memoryLimitBytes
        self.maxFrameSize = maxFrameSize
    }

    init?(parsing text: String) {
        let fields = text.split(separator: ";")
        guard let first = fields.first, Int(first) == Self.version else { return nil }
        var values: [Substring: Int] = [:]
        for field in fields.dropFirst() {
            let parts = field.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1]) else { return nil }
            values[parts[0]] = value
        }
        guard let parent = values["ppid"], let parentPID = Int32(exactly: parent) else { return nil }
        self.parentPID = parentPID
        reportsResidentMemory = values["rss"] == 1
        memoryLimitBytes = values["mem"] ?? 0
        maxFrameSize = min(values["frame"] ?? Frame.defaultMaxSize, Frame.largestMaxSize)
    }
}
