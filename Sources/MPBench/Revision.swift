#if Tools
/// Which code a run measured: the checkout's commit, the last commit that changed the library
/// and the last that changed the benchmark, whether anything in the whole working tree differs
/// from the commit, and how mp-bench was built. Read from git when the run starts; the
/// measuring processes are this executable, so its build configuration is theirs.
struct Revision {
    /// `HEAD`, full hash; nil outside a git checkout.
    var commit: String?
    /// The last commit that touched the library's sources (``libraryPaths``).
    var library: String?
    /// The last commit that touched the benchmark (``benchmarkPaths``: our side and the peers).
    var benchmark: String?
    /// Whether `git status --porcelain` (the whole tree, untracked files included) lists anything.
    var dirty: Bool?
    /// What it lists (the first 50 lines).
    var dirtyPaths: [String]
    /// "release" or "debug": how this executable was compiled.
    var buildConfiguration: String

    static let libraryPaths = ["Sources/Multiprocessing", "Sources/CMultiprocessing", "Sources/MultiprocessingPostgres",
                               "Sources/CMultiprocessingPostgres", "Package.swift", "Package.resolved"]
    static let benchmarkPaths = ["Sources/MPBench", "Sources/MPBenchPostgres", "Sources/CBenchSupport", "Benchmarks"]

    static var buildConfiguration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    static func describe(root: String?) -> Revision {
        guard let root else {
            return Revision(commit: nil, library: nil, benchmark: nil, dirty: nil, dirtyPaths: [],
                            buildConfiguration: buildConfiguration)
        }
        func lastCommit(_ paths: [String]) -> String? {
            Machine.firstLine(of: ["git", "-C", root, "log", "-1", "--format=%H", "--"] + paths)
        }
        let status = try? ChildProcess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=all"],
                                           timeLimit: 30, quiet: true)
        let lines = status.flatMap { $0.succeeded ? $0.output.split(separator: "\n").map(String.init) : nil }
        return Revision(commit: Machine.firstLine(of: ["git", "-C", root, "rev-parse", "HEAD"]),
                        library: lastCommit(libraryPaths), benchmark: lastCommit(benchmarkPaths),
                        dirty: lines.map { !$0.isEmpty }, dirtyPaths: Array((lines ?? []).prefix(50)),
                        buildConfiguration: buildConfiguration)
    }

    /// The fields of the JSON's `machine` object that say which code ran.
    var jsonFields: [(String, JSON)] {
        [
            ("build_configuration", .string(buildConfiguration)),
            ("commit", .string(commit)),
            ("library_revision", .string(library)),
            ("benchmark_revision", .string(benchmark)),
            ("dirty", dirty.map(JSON.bool) ?? .null),
            ("dirty_paths", .array(dirtyPaths.map { JSON.string($0) })),
        ]
    }

    /// One line for the table's heading.
    var text: String {
        func short(_ hash: String?) -> String { hash.map { String($0.prefix(10)) } ?? "unknown" }
        let state = dirty.map { $0 ? "DIRTY (\(dirtyPaths.count)\(dirtyPaths.count == 50 ? "+" : "") changed paths)" : "clean" }
            ?? "state unknown"
        return "\(buildConfiguration) build; commit \(short(commit)) \(state); library \(short(library)), "
            + "benchmark \(short(benchmark))"
    }
}
#endif  // Tools
