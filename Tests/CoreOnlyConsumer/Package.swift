// swift-tools-version:6.1
import PackageDescription

// A program of a user's that needs only the core library, depending on this repository with its
// default traits (none). .ci/check-consumer resolves it from scratch and fails if it fetches any
// package but swift-log, swift-collections and swift-metrics, then builds it and runs its pool.
let package = Package(
    name: "CoreOnlyConsumer",
    dependencies: [.package(name: "swift-multiprocessing", path: "../..")],
    targets: [
        .executableTarget(
            name: "CoreOnlyProbe",
            dependencies: [.product(name: "Multiprocessing", package: "swift-multiprocessing")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
