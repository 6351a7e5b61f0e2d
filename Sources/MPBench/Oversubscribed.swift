#if Tools
import CBenchSupport
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// A scenario run again with busy threads beside it: `Base`'s measurement and peer, unchanged,
/// while a spinner process (`mp-bench spin`) keeps `spinnersPerCPU` runnable threads per CPU
/// busy during every run of either side. A path that spins instead of sleeping competes with
/// them for the CPU; here it must still not fall below Python.
enum Oversubscribed<Base: Scenario>: Scenario {
    static var suffix: String { "-oversubscribed" }
    static var name: String { Base.name + suffix }
    static var summary: String {
        "\(Base.name) with 4 busy threads per CPU running beside it (a spinner process), on both sides."
    }
    static var peerScript: String? { Base.peerScript }
    static var timeLimitSeconds: Double { Base.timeLimitSeconds * 2 }
    static var peerStartMethods: [String] { Base.peerStartMethods }
    static var countKeys: [String] { Base.countKeys }
    static var spinnersPerCPU: Int { 4 }
    static var extraPeers: [PeerSpec] { [] }

    /// Base's rows that have a peer, renamed, each judged against Python: not below it.
    static var rows: [RowSpec] {
        Base.rows.filter { $0.peer != nil && $0.name != "apply-switches" }.map { row in
            var renamed = row
            renamed.name = row.name + suffix
            renamed.note = row.name == Base.rows.first?.name ? "\(row.name) with 4 busy threads per CPU beside it "
                + "(mp-bench spin, started before and killed after each run of either side)." : nil
            renamed.goal = { .ratio(atLeast: 1, $0, text: ">= Python (not below it)") }
            return renamed
        }
    }

    static func measure(quick: Bool) async throws -> Metrics {
        try await Base.measure(quick: quick)
    }
}

/// `mp-bench spin N`: N threads that never block, until killed (the oversubscribed rows' load).
struct Spin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep N threads busy until killed (the load beside the oversubscribed rows)."
    )

    @Argument(help: "How many busy threads.")
    var threads: Int

    func run() throws {
        let parent = getppid()
        for _ in 0..<max(1, threads) {
            var thread = pthread_t()
            // Reads the clock forever: a call the optimizer cannot remove, and never a sleep.
            let error = pthread_create(&thread, nil, { _ in
                while true { _ = cbs_monotonic_ns() }
            }, nil)
            guard error == 0 else { throw BenchError.failed("pthread_create: errno \(error)") }
        }
        // Gone with the runner, even when it is killed before it can stop this spinner.
        while getppid() == parent { usleep(100_000) }
    }
}
#endif  // Tools
