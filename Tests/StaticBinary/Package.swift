// swift-tools-version:6.1
import PackageDescription

// A program of a user's, built with --static-swift-stdlib as server Swift is shipped in
// containers: CI builds it that way and runs a local pool and a worker host from it. It uses the
// distributed pool, so it enables the Postgres trait, as a user's package would.
let package = Package(
    name: "StaticBinary",
    dependencies: [.package(name: "swift-multiprocessing", path: "../..", traits: ["Postgres"])],
    targets: [
        .executableTarget(
            name: "StaticProbe",
            dependencies: [
                .product(name: "Multiprocessing", package: "swift-multiprocessing"),
                .product(name: "MultiprocessingPostgres", package: "swift-multiprocessing"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
