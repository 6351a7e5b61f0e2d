import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// The processes a worker's jobs started that left its process group (with `setsid` or
/// `setpgid`), found by their parent links in /proc and killed with the worker.
///
/// This reaches them while their chain of parents up to the worker is unbroken: a direct child
/// of the worker that called `setsid`, or the children of a shell the job runs. Two kinds are
/// out of reach, and outlive the worker: a process that left the group and whose parent exited
/// first (it is re-parented to the system's init, a daemon's double fork), and any process that
/// left the group when the worker ends by itself rather than by the library's SIGTERM or SIGKILL
/// (its children are re-parented at its exit, before the library hears of it). A cgroup would hold
/// them all, but needs a delegated cgroup the library cannot count on.
enum ProcessTree {
    /// Sends `signal` to every descendant of `root` outside `root`'s process group (the group
    /// itself is signalled with one `kill(-root)` by the caller). Each is signalled through a
    /// pidfd opened while its parent link was seen, so a pid reused meanwhile is never hit.
    static func signalDescendantsOutsideGroup(of root: pid_t, _ signal: Int32) {
        let table = processTable()
        var frontier = [root]
        var strays: [Int32] = []
        var seen: Set<pid_t> = [root]
        while let parent = frontier.popLast() {
            for entry in table where entry.parent == parent && seen.insert(entry.pid).inserted {
                frontier.append(entry.pid)
                guard entry.group != root else { continue }
                let fd = cmp_pidfd_open(entry.pid)
                guard fd >= 0 else { continue }
                // Still the same parent now that the pidfd is open: then the pidfd names the
                // process the scan saw, not one that got its pid in between.
                if stat(of: entry.pid)?.parent == parent { strays.append(fd) } else { close(fd) }
            }
        }
        for fd in strays {
            defer { close(fd) }
            _ = cmp_pidfd_send_signal(fd, signal)
        }
    }

    struct Entry {
        var pid: pid_t
        var parent: pid_t
        var group: pid_t
    }

    /// Every process's parent and process group, from /proc/<pid>/stat.
    static func processTable() -> [Entry] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var entries: [Entry] = []
        while let entry = readdir(directory) {
            let pid = withUnsafeBytes(of: entry.pointee.d_name) { name -> pid_t? in
                pid_t(String(decoding: name.prefix { $0 != 0 }, as: UTF8.self))
            }
            if let pid, let found = stat(of: pid) { entries.append(found) }
        }
        return entries
    }

    /// One process's parent and process group, or nil when it is gone.
    static func stat(of pid: pid_t) -> Entry? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard count > 0 else { return nil }
        // "pid (name) state ppid pgrp ...": the name may hold spaces and parentheses.
        let line = buffer[0..<count]
        guard let close = line.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = line[(close + 1)...].split(separator: UInt8(ascii: " "), maxSplits: 4)
        guard fields.count >= 3,
              let parent = pid_t(String(decoding: fields[1], as: UTF8.self)),
              let group = pid_t(String(decoding: fields[2], as: UTF8.self)) else { return nil }
        return Entry(pid: pid, parent: parent, group: group)
    }
}
