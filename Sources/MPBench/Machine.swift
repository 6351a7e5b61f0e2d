#if Tools
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// The machine and software a run measured, for the JSON and the table's heading.
struct Machine {
    var cpus: Int
    var onlineCPUs: Int
    var cpuModel: String
    var kernel: String
    var memoryGiB: Double?
    var date: String
    var swiftVersion: String
    var pythonVersion: String
    /// Which code was measured, and how it was built.
    var revision: Revision
    var loadBefore: String
    var loadAfter: String = ""

    static func describe(python: String, repositoryRoot: String?) -> Machine {
        Machine(
            cpus: ProcessPool.availableCPUs,
            onlineCPUs: sysconf(Int32(_SC_NPROCESSORS_ONLN)),
            cpuModel: cpuModel(),
            kernel: kernel(),
            memoryGiB: memoryGiB(),
            date: utcDate(),
            swiftVersion: firstLine(of: ["swift", "--version"]) ?? compilerVersion(),
            pythonVersion: firstLine(of: [python, "-c", "import platform; print(platform.python_version())"])
                .map { "Python " + $0 } ?? "unknown",
            revision: Revision.describe(root: repositoryRoot),
            loadBefore: loadAverage()
        )
    }

    var json: JSON {
        .object([
            ("nproc", .number(Double(cpus))),
            ("online_cpus", .number(Double(onlineCPUs))),
            ("cpu_model", .string(cpuModel)),
            ("kernel", .string(kernel)),
            ("memory_gib", .number(memoryGiB)),
            ("date", .string(date)),
            ("swift_version", .string(swiftVersion)),
            ("python_version", .string(pythonVersion)),
            ("load_before", .string(loadBefore)),
            ("load_after", .string(loadAfter)),
        ] + revision.jsonFields)
    }

    static func cpuModel() -> String {
        guard let text = readTextFile("/proc/cpuinfo") else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingSpaces()
            }
        }
        return "unknown"
    }

    static func kernel() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "unknown" }
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(field(names.sysname)) \(field(names.release)) \(field(names.machine))"
    }

    static func memoryGiB() -> Double? {
        guard let text = readTextFile("/proc/meminfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kib = Double(parts[1]) { return (kib / 1_048_576 * 10).rounded() / 10 }
        }
        return nil
    }

    /// "1.23 0.98 0.70" (1, 5 and 15 minutes), from /proc/loadavg.
    static func loadAverage() -> String {
        guard let text = readTextFile("/proc/loadavg") else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func utcDate() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func compilerVersion() -> String {
        #if compiler(>=6.3)
        return "Swift 6.3 or later (the compiler of this build)"
        #else
        return "Swift 6 (the compiler of this build)"
        #endif
    }

    static func firstLine(of command: [String]) -> String? {
        guard let outcome = try? ChildProcess.run(command, timeLimit: 30, quiet: true), outcome.succeeded else { return nil }
        let line = outcome.output.split(separator: "\n").first.map { $0.trimmingSpaces() }
        return line?.isEmpty == false ? line : nil
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}
#endif  // Tools
