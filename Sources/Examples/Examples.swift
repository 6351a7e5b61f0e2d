#if Tools
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing

@main
struct Examples: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "examples",
        abstract: "The examples of Python's multiprocessing tutorial, in Swift.",
        subcommands: [All.self, ProcessExample.self, MapExample.self, ImapUnorderedExample.self,
                      ImapExample.self, ApplyExample.self, ApplyAsyncExample.self],
        defaultSubcommand: All.self
    )
}

struct All: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "Run every tutorial example in turn.")

    func run() async throws {
        try await exitOnInterrupt { try await Self.runAll() }
    }

    static func runAll() async throws {
        for example in [ProcessExample.self, MapExample.self, ImapUnorderedExample.self, ImapExample.self,
                        ApplyExample.self, ApplyAsyncExample.self] as [any TutorialExample.Type] {
            print("== \(example.title)")
            // The workers write to the same stdout: the title must be out before they start.
            fflush(nil)
            try await example.init().runExample()
            print()
        }
    }
}

protocol TutorialExample: AsyncParsableCommand, Sendable {
    static var title: String { get }
    func runExample() async throws
}

extension TutorialExample {
    func run() async throws {
        try await exitOnInterrupt { try await runExample() }
    }
}

/// Ctrl-C cancels the example (its pool is terminated) and ends the program with status 130.
func exitOnInterrupt(_ body: @escaping @Sendable () async throws -> Void) async throws {
    do {
        try await withInterruptCancellation(body)
    } catch is CancellationError {
        print("interrupted")
        Glibc.exit(130)
    }
}

struct ProcessExample: TutorialExample {
    static let configuration = CommandConfiguration(commandName: "process", abstract: "Start one process, join it.")
    static let title = "Process(target=worker).start(); join()"

    func runExample() async throws {
        let process = try WorkerProcess(target: StartFinishWorker())
        try await process.start()
        let status = try await process.join()
        if !status.isSuccess { print("worker \(status)") ; _ = try await process.value }
        print("Parent process finished")
    }
}

struct MapExample: TutorialExample {
    static let configuration = CommandConfiguration(commandName: "map", abstract: "Pool(4).map(worker, [1, 2, 3, 4]).")
    static let title = "with Pool(4) as p: p.map(worker, [1, 2, 3, 4])"

    func runExample() async throws {
        let results = try await withProcessPool(workers: 4) { pool in
            try await pool.map(Square(), [1, 2, 3, 4])
        }
        print(results)
    }
}

struct ImapUnorderedExample: TutorialExample {
    static let configuration = CommandConfiguration(
        commandName: "imap-unordered", abstract: "imap_unordered(square, range(10)), each result as it completes.")
    static let title = "for r in p.imap_unordered(square, range(10)): print(r)"

    func runExample() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        try await withProcessPool { pool in
            for try await square in try pool.imapUnordered(SlowSquare(), 0..<10) {
                print(square)
            }
            print("\(pool.workerCount) workers, \(Self.seconds(clock.now - start)) s")
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(Int((value * 10).rounded())) .paddedTenths
    }
}

struct ImapExample: TutorialExample {
    static let configuration = CommandConfiguration(commandName: "imap", abstract: "imap(square, range(10)), in input order.")
    static let title = "for r in p.imap(square, range(10)): print(r)"

    func runExample() async throws {
        try await withProcessPool { pool in
            for try await square in try pool.imap(SlowSquare(seconds: 0.2), 0..<10) {
                print(square)
            }
        }
    }
}

struct ApplyExample: TutorialExample {
    static let configuration = CommandConfiguration(commandName: "apply", abstract: "apply(square, (7,)): one call, waited for.")
    static let title = "p.apply(square, (7,))"

    func runExample() async throws {
        try await withProcessPool { pool in
            print(try await pool.apply(Square(), 7))
        }
    }
}

struct ApplyAsyncExample: TutorialExample {
    static let configuration = CommandConfiguration(
        commandName: "apply-async", abstract: "apply_async(square, (8,)): returns at once, awaited later.")
    static let title = "r = p.apply_async(square, (8,)); r.get()"

    func runExample() async throws {
        try await withProcessPool { pool in
            let handle = try pool.applyAsync(SlowSquare(seconds: 0.5), 8)
            print("submitted; doing other work while it runs")
            print(try await handle.value)
        }
    }
}

extension String {
    /// "53" (tenths) as "5.3".
    var paddedTenths: String {
        let digits = count == 1 ? "0" + self : self
        return digits.dropLast() + "." + digits.suffix(1)
    }
}
#endif  // Tools
