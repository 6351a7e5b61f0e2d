// swift-tools-version:6.1
import PackageDescription

// What a consumer fetches follows from the traits it enables (README, "Dependencies"). With none,
// the default, it resolves swift-log, swift-collections and swift-metrics only: every other
// package below is used only by target dependencies that a trait guards, and SwiftPM leaves a
// package so guarded out of resolution when the trait is off. The targets whose dependencies are
// guarded still exist without their trait (SwiftPM has no conditional targets): their sources are
// wrapped in `#if Trait`, so they build empty. The repository's own commands enable every trait
// (`--enable-all-traits`); Tests/CoreOnlyConsumer and .ci/check-consumer prove the pruning.

let package = Package(
    name: "swift-multiprocessing",
    products: [
        .library(name: "Multiprocessing", targets: ["Multiprocessing"]),
        // Pools whose workers are many machines sharing a PostgreSQL database.
        .library(name: "MultiprocessingPostgres", targets: ["MultiprocessingPostgres"]),
        // A pool as a swift-service-lifecycle Service.
        .library(name: "MultiprocessingServiceLifecycle", targets: ["MultiprocessingServiceLifecycle"]),
        .executable(name: "mp-postgres", targets: ["MPPostgres"]),
        .executable(name: "examples", targets: ["Examples"]),
        .executable(name: "mp-soak", targets: ["MPSoak"]),
        .executable(name: "mp-bench", targets: ["MPBench"]),
        .executable(name: "mp-bench-postgres", targets: ["MPBenchPostgres"]),
    ],
    traits: [
        .trait(
            name: "Postgres",
            description: "MultiprocessingPostgres, pools whose workers are many machines sharing a PostgreSQL database (postgres-nio, and SwiftNIO with it)."
        ),
        .trait(
            name: "ServiceLifecycle",
            description: "MultiprocessingServiceLifecycle, a pool as a Service of a ServiceGroup (swift-service-lifecycle)."
        ),
        .trait(
            name: "Tools",
            description: "The command-line programs examples, mp-bench and mp-soak (swift-argument-parser)."
        ),
        .trait(
            name: "Dashboard",
            description: "mp-postgres, the PostgreSQL queue's tool, with its web dashboard (Hummingbird); enables Postgres and Tools.",
            enabledTraits: ["Postgres", "Tools"]
        ),
        // None by default: a package that depends on this one for `Multiprocessing` fetches nothing heavy.
        .default(enabledTraits: []),
    ],
    dependencies: [
        // The core's three, resolved by every consumer. Logging for the library: it never prints.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Deque (task queues) and Heap (timers) for the supervisor.
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // The pools' counts as metrics, through whatever backend the program bootstraps (no dependencies).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // Trait ServiceLifecycle: MultiprocessingServiceLifecycle, a pool run as a Service of a ServiceGroup.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Trait Postgres: the PostgreSQL client of MultiprocessingPostgres (SwiftNIO, swift-nio-ssl
        // and swift-crypto come with it).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Trait Tools: command-line parsing for the example, benchmark and soak tools.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Property-based tests of the supervisor's rules: used by a test target only, which a
        // consumer's resolution leaves out without a trait.
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // Trait Dashboard: the web server of `mp-postgres dashboard` (the MPDashboard target): neither
        // library depends on it, so that programs using the pools never fetch an HTTP server.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // The DocC catalogs' build (`swift package generate-documentation`, .ci/check-docs): a
        // plugin no target uses, which a consumer's resolution leaves out too.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System calls Swift cannot make cleanly, and the constructor that enters worker mode before main.
        .target(
            name: "CMultiprocessing",
            // Its worker entry serves the main queue through libdispatch's run-loop hooks.
            linkerSettings: [.linkedLibrary("dispatch", .when(platforms: [.linux]))]
        ),
        .target(
            name: "Multiprocessing",
            dependencies: [
                "CMultiprocessing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "MultiprocessingServiceLifecycle",
            dependencies: ["Multiprocessing", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: .when(traits: ["ServiceLifecycle"]))]
        ),
        // The constructor that turns an executable into a worker host of a PostgreSQL queue before main.
        .target(name: "CMultiprocessingPostgres", dependencies: ["CMultiprocessing"]),
        .target(
            name: "MultiprocessingPostgres",
            dependencies: [
                "Multiprocessing",
                "CMultiprocessing",
                "CMultiprocessingPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The distributed pool's fault-injection runner (server restarts and kills, frozen and
        // cut-off hosts, poisoned outcomes, mixed builds) and the throwaway server, child
        // processes and network namespaces it drives: shared by the tests and `mp-postgres chaos`.
        .target(
            name: "MultiprocessingPostgresChaos",
            dependencies: [
                "Multiprocessing",
                "MultiprocessingPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The dashboard of a queue (`mp-postgres dashboard`): its page, JSON endpoints, Prometheus
        // text and actions, served by Hummingbird. A library target so that the tests start it in-process.
        .target(
            name: "MPDashboard",
            dependencies: [
                "MultiprocessingPostgres",
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Dashboard"])),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Shows a queue's state, migrates its schema and removes finished jobs; runs the fault suite;
        // serves the dashboard.
        .executableTarget(
            name: "MPPostgres",
            dependencies: [
                "MultiprocessingPostgres",
                "MultiprocessingPostgresChaos",
                "MPDashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser", condition: .when(traits: ["Tools"])),
            ]
        ),
        .executableTarget(
            name: "Examples",
            dependencies: [
                "Multiprocessing",
                .product(name: "ArgumentParser", package: "swift-argument-parser", condition: .when(traits: ["Tools"])),
            ]
        ),
        // The side-by-side benchmark against Python's multiprocessing (BENCHMARKS.md).
        .target(name: "CBenchSupport"),
        .executableTarget(
            name: "MPBench",
            dependencies: [
                "Multiprocessing",
                "CBenchSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser", condition: .when(traits: ["Tools"])),
            ]
        ),
        // The measuring side of mp-bench's PostgreSQL scenarios: apart, so that mp-bench (whose workers
        // cold-start and worker-memory measure) does not link the database client.
        .executableTarget(
            name: "MPBenchPostgres",
            dependencies: [
                "Multiprocessing",
                "MultiprocessingPostgres",
                // pg-scale sets the server's durability (ALTER SYSTEM) and reads its jobs' rows.
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The soak test: many tasks, some crashing, hanging or throwing; counts what happened.
        .executableTarget(
            name: "MPSoak",
            dependencies: [
                "Multiprocessing",
                .product(name: "ArgumentParser", package: "swift-argument-parser", condition: .when(traits: ["Tools"])),
            ]
        ),
        // A program the tests start, to watch what happens to a pool's workers when their parent
        // is killed, and to count descriptors and children over many pool cycles.
        .executableTarget(
            name: "MPTestHelper",
            dependencies: ["Multiprocessing", "MultiprocessingPostgres"]
        ),
        // A program the tests start that makes itself a hostile host (SIGCHLD ignored, a thread
        // reaping every child, its own signal handlers, a standard error nobody reads) and uses pools.
        .executableTarget(
            name: "MPHostHelper",
            dependencies: ["Multiprocessing", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "MultiprocessingTests",
            dependencies: [
                "Multiprocessing",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                "MultiprocessingServiceLifecycle",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: .when(traits: ["ServiceLifecycle"])),
            ]
        ),
        // Runs against a real PostgreSQL server that the tests start themselves (initdb + pg_ctl).
        .testTarget(
            name: "MultiprocessingPostgresTests",
            dependencies: [
                "MultiprocessingPostgres",
                "MultiprocessingPostgresChaos",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
            ]
        ),
    ]
)
