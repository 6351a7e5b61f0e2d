#if Tools
import CBenchSupport
#if canImport(Glibc)
import Glibc
#endif

/// A command run to completion with its standard output captured (its standard error goes to
/// ours): a measuring run of either side, or a version query.
struct ChildProcess {
    struct Outcome {
        var output: String
        var exitCode: Int32
        var signal: Int32
        var timedOut: Bool
        var succeeded: Bool { exitCode == 0 && !timedOut }

        /// Why it failed, in words.
        var failure: String {
            if timedOut { return "timed out" }
            if signal > 0 { return "killed by signal \(signal)" }
            return "exited with status \(exitCode)"
        }
    }

    enum SpawnError: Error, CustomStringConvertible {
        case cannotStart(String, Int32)
        var description: String {
            switch self {
            case let .cannotStart(command, error): return "cannot start \(command): \(String(cString: strerror(error)))"
            }
        }
    }

    /// Runs `arguments` (the first is the program, looked up on PATH without a slash) and waits
    /// at most `timeLimit` seconds; past it, the child and all its descendants are killed.
    /// `quiet` sends its standard error to /dev/null.
    static func run(_ arguments: [String], timeLimit: Double, quiet: Bool = false) throws -> Outcome {
        var pid: pid_t = 0
        var fd: Int32 = -1
        let error: Int32 = withCStrings(arguments) { argv in
            cbs_spawn_capturing_stdout(argv, quiet ? 1 : 0, &pid, &fd)
        }
        guard error == 0 else { throw SpawnError.cannotStart(arguments.joined(separator: " "), error) }
        defer { close(fd) }
        let deadline = cbs_monotonic_ns() + Int64(timeLimit * 1e9)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var timedOut = false
        reading: while true {
            let remainingMs = (deadline - cbs_monotonic_ns()) / 1_000_000
            if remainingMs <= 0 { timedOut = true; break }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remainingMs, 1000)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break reading }
            bytes.append(contentsOf: buffer[0..<count])
        }
        if timedOut { killTree(pid) }
        var exitCode: Int32 = -1
        var signal: Int32 = -1
        // The pipe is at end-of-file: the child exited (or closed its stdout); wait for it.
        if cbs_wait(pid, 0, &exitCode, &signal) != 1 { exitCode = -1 }
        return Outcome(output: String(decoding: bytes, as: UTF8.self), exitCode: exitCode, signal: signal,
                       timedOut: timedOut)
    }

    /// A process left running beside the measured ones (the oversubscribed rows' spinner),
    /// its output discarded; ``stop()`` kills and reaps it.
    struct Background {
        let pid: pid_t
        let fd: Int32

        init(_ arguments: [String]) throws {
            var pid: pid_t = 0
            var fd: Int32 = -1
            let error: Int32 = withCStrings(arguments) { argv in cbs_spawn_capturing_stdout(argv, 1, &pid, &fd) }
            guard error == 0 else { throw SpawnError.cannotStart(arguments.joined(separator: " "), error) }
            self.pid = pid
            self.fd = fd
        }

        func stop() {
            kill(pid, SIGKILL)
            var exitCode: Int32 = -1
            var signal: Int32 = -1
            _ = cbs_wait(pid, 0, &exitCode, &signal)
            close(fd)
        }
    }

    /// The CPU seconds (user + system) of this process's children that have been reaped so far,
    /// and of the children those reaped: around one run, what the whole run's process tree spent.
    static func reapedChildrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// The last line of `output` that is a JSON object: a measuring run's result.
    static func lastJSONLine(_ output: String) -> String? {
        output.split(separator: "\n").reversed().first { $0.hasPrefix("{") }.map(String.init)
    }

    /// Kills `pid` and every process descended from it (a Python pool's workers), by id.
    private static func killTree(_ pid: pid_t) {
        var victims = [pid]
        var index = 0
        let parents = parentTable()
        while index < victims.count {
            let parent = victims[index]
            victims.append(contentsOf: parents.filter { $0.value == parent }.map(\.key))
            index += 1
        }
        for victim in victims { kill(victim, SIGKILL) }
    }

    /// Every process's parent, from /proc/PID/stat.
    private static func parentTable() -> [pid_t: pid_t] {
        var table: [pid_t: pid_t] = [:]
        guard let directory = opendir("/proc") else { return table }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = pid_t(name), let stat = readTextFile("/proc/\(name)/stat"),
                  let close = stat.lastIndex(of: ")") else { continue }
            // "PID (comm) STATE PPID ...": comm may hold spaces and parentheses.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count >= 2, let parent = pid_t(fields[1]) { table[pid] = parent }
        }
        return table
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
#endif  // Tools
