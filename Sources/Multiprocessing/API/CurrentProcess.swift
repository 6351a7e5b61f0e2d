import CMultiprocessing
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The process this code runs in, as Python's `multiprocessing.current_process()`,
/// `parent_process()` and `active_children()` describe it.
public enum CurrentProcess {
    /// The parent that started this process as a worker (pool or ``WorkerProcess``), set before
    /// `main` by the worker's entry; 0 in a process not started as one.
    static let workerParent = Atomic<Int32>(0)

    /// This process's id (Python's `current_process().pid`).
    public static var pid: Int32 { getpid() }

    /// Whether this process is a worker that a pool or a ``WorkerProcess`` started (in a job,
    /// always true).
    public static var isWorker: Bool { workerParent.load(ordering: .relaxed) != 0 }

    /// The id of the process that started this worker (Python's `parent_process().pid`); nil in
    /// a process that was not started as a worker, as Python's `parent_process()` is `None` in
    /// the main process.
    public static var parentPID: Int32? {
        let parent = workerParent.load(ordering: .relaxed)
        return parent == 0 ? nil : parent
    }

    /// The ids of this process's children that are alive (Python's `active_children()`): pool
    /// workers, ``WorkerProcess``es and any other child it started, from `/proc`. Unlike
    /// Python's, it reaps nothing (the pools reap their own).
    public static func activeChildren() -> [Int32] {
        var children: [Int32] = []
        guard let tasks = opendir("/proc/self/task") else { return [] }
        defer { closedir(tasks) }
        while let entry = readdir(tasks) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard Int(name) != nil else { continue }
            children += Self.readPIDs("/proc/self/task/\(name)/children")
        }
        // A zombie (exited, not yet reaped) is not alive.
        return Array(Set(children)).filter { Self.isAlive($0) }.sorted()
    }

    private static func readPIDs(_ path: String) -> [Int32] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return bytes.split(separator: UInt8(ascii: " ")).compactMap { Int32(String(decoding: $0, as: UTF8.self)) }
    }

    private static func isAlive(_ pid: Int32) -> Bool {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0, let close = buffer[0..<count].lastIndex(of: UInt8(ascii: ")")), close + 2 < count else { return false }
        // The state letter follows the command name in parentheses.
        let state = buffer[close + 2]
        return state != UInt8(ascii: "Z") && state != UInt8(ascii: "X")
    }
}
