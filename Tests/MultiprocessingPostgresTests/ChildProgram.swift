#if Postgres
import Foundation
import MultiprocessingPostgresChaos
#if canImport(Glibc)
import Glibc
#endif

/// A process a test starts: a worker host (this test executable, or MPTestHelper as "another
/// build") or a submitter. The fault runner's (MultiprocessingPostgresChaos), so that the tests
/// and `mp-postgres chaos` start their hosts one way.
typealias ChildProgram = SpawnedProgram

extension SpawnedProgram {
    /// This test executable.
    static var testExecutable: String { currentExecutable }
}

/// Live children of `parent`, from /proc.
func childPIDs(of parent: pid_t) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 && Int32(fields[1]) == parent && fields[0] != "Z"
    }
}

func isAlive(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(after: close)...].hasPrefix(" Z")
}

/// Whether `pid` is stopped by a signal (state T in /proc).
func isStopped(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(after: close)...].hasPrefix(" T")
}
#endif  // Postgres
