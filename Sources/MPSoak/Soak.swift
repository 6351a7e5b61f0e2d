#if Tools
import ArgumentParser
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

@main
struct Soak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mp-soak",
        abstract: "Run many tasks of which some crash, hang past their timeout or throw; count what happened.",
        discussion: """
            Every task's fate is decided by its index and the seed, so the expected counts are known. \
            At the end it prints tasks done, failed by cause, lost (must be 0), duplicated (must be 0), \
            respawns and the parent's peak resident memory, and exits with status 1 if anything was \
            lost, duplicated or failed with an unexpected cause.
            """)

    @Option(help: "How many tasks.") var tasks = 100_000
    @Option(help: "Fraction of tasks that crash their worker.") var crashRate = 0.01
    @Option(help: "Fraction of tasks that hang until their timeout.") var hangRate = 0.001
    @Option(help: "Fraction of tasks that throw.") var throwRate = 0.01
    @Option(help: "Per-task timeout in milliseconds.") var timeoutMs = 200
    @Option(help: "Workers (default: the CPUs this process may use).") var workers: Int?
    @Option(help: "Tasks per chunk.") var chunkSize = 16
    @Option(help: "Seed for the tasks' fates.") var seed: UInt64 = 2026

    func run() async throws {
        let job = SoakJob(seed: seed, crashRate: crashRate, hangRate: hangRate, throwRate: throwRate)
        let expected = (0..<tasks).reduce(into: [Fate: Int]()) { counts, index in
            counts[Fate.of(index, seed: seed, crashRate: crashRate, hangRate: hangRate, throwRate: throwRate), default: 0] += 1
        }
        print("mp-soak: \(tasks) tasks, expecting \(Fate.allCases.map { "\($0.rawValue) \(expected[$0] ?? 0)" }.joined(separator: ", "))")

        var seen = [Bool](repeating: false, count: tasks)
        var duplicated = 0, succeeded = 0, unexpected = 0
        var failures: [String: Int] = [:]
        let clock = ContinuousClock()
        let start = clock.now
        var lastReport = start
        let statistics = try await withProcessPool(workers: workers, options: .init(timeout: .milliseconds(timeoutMs))) { pool in
            for try await result in try pool.imapUnorderedResults(job, 0..<tasks, chunkSize: chunkSize) {
                let index: Int
                switch result {
                case let .success(value):
                    index = value
                    succeeded += 1
                case let .failure(failure):
                    index = failure.index ?? -1
                    let cause = Self.cause(failure.reason)
                    failures[cause, default: 0] += 1
                    let fate = Fate.of(index, seed: seed, crashRate: crashRate, hangRate: hangRate, throwRate: throwRate)
                    if !Self.matches(fate, cause) {
                        unexpected += 1
                        if unexpected <= 5 { print("unexpected: item \(index) (\(fate.rawValue)): \(failure)") }
                    }
                }
                guard index >= 0 && index < tasks else { unexpected += 1; continue }
                if seen[index] { duplicated += 1 } else { seen[index] = true }
                if clock.now - lastReport > .seconds(5) {
                    lastReport = clock.now
                    let done = succeeded + failures.values.reduce(0, +)
                    print("… \(done)/\(tasks) after \(Self.seconds(clock.now - start)) s")
                }
            }
            return await pool.statistics()
        }
        let elapsed = clock.now - start
        let lost = seen.lazy.filter { !$0 }.count
        let width = workers ?? ProcessPool.availableCPUs
        print("""
            tasks       \(tasks) in \(Self.seconds(elapsed)) s (\(Int(Double(tasks) / Self.secondsValue(elapsed))) tasks/s, \(width) workers)
            done        \(succeeded) (expected \(expected[.succeed] ?? 0))
            failed      \(failures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            expected    crashed \(expected[.crash] ?? 0), timedOut \(expected[.hang] ?? 0), threw \(expected[.fail] ?? 0)
            unexpected  \(unexpected)
            lost        \(lost)
            duplicated  \(duplicated)
            respawns    \(statistics.workersStarted - width) (crashes \(statistics.workerCrashes), timeouts \(statistics.timeouts))
            peak RSS    \(Self.peakResidentMegabytes()) MB (parent)
            """)
        if lost > 0 || duplicated > 0 || unexpected > 0 { throw ExitCode(1) }
    }

    static func cause(_ reason: JobFailure.Reason) -> String {
        switch reason {
        case .crashed: return "crashed"
        case .timedOut: return "timedOut"
        case .threw: return "threw"
        default: return "\(reason)"
        }
    }

    static func matches(_ fate: Fate, _ cause: String) -> Bool {
        switch fate {
        case .crash: return cause == "crashed"
        case .hang: return cause == "timedOut"
        case .fail: return cause == "threw"
        case .succeed: return false
        }
    }

    static func secondsValue(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func seconds(_ duration: Duration) -> String {
        let tenths = Int((secondsValue(duration) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// VmHWM from /proc/self/status.
    static func peakResidentMegabytes() -> Int {
        guard let file = fopen("/proc/self/status", "r") else { return -1 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmHWM:") {
                let kilobytes = text.split(separator: " ").compactMap { Int($0) }.first ?? 0
                return kilobytes / 1024
            }
        }
        return -1
    }
}
#endif  // Tools
