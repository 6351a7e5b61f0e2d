import ArgumentParser
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// The three use cases of the tutorial: `demos` runs all of them at their default sizes
/// (about a minute on 2 CPUs); each has its own subcommand with `--size`, `--workers` and
/// `--full` for the full sizes the README reports.
@main
struct Demos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demos",
        abstract: "Data processing, a web crawler and image processing, on worker processes.",
        subcommands: [All.self, WordFreqCommand.self, CrawlCommand.self, ThumbnailsCommand.self],
        defaultSubcommand: All.self
    )
}

/// A use case the `all` subcommand runs at its default size.
protocol Demo: AsyncParsableCommand, Sendable {
    static var title: String { get }
    /// Runs at the default size (what `demos all` does).
    static func runDefault() async throws
}

struct All: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "Run all three at their default sizes.")

    func run() async throws {
        try await exitOnInterrupt {
            for demo in [WordFreqCommand.self, CrawlCommand.self, ThumbnailsCommand.self] as [any Demo.Type] {
                print("== \(demo.title)")
                // Progress goes to unbuffered stderr: the title must be out before it.
                fflush(nil)
                try await demo.runDefault()
                print()
            }
        }
    }
}

/// Ctrl-C cancels the work (its pool is terminated) and ends the program with status 130.
func exitOnInterrupt(_ body: @escaping @Sendable () async throws -> Void) async throws {
    do {
        try await withInterruptCancellation(body)
    } catch is CancellationError {
        print("\ninterrupted")
        Glibc.exit(130)
    }
}
