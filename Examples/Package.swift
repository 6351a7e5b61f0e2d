// swift-tools-version:6.0
// The tutorial's three use cases as real programs: word frequencies over a large corpus, a web
// crawler against a site it serves itself, and an image batch (thumbnails, filters, a contact
// sheet). A package of its own so that users of the core library never fetch their heavy
// dependencies (an HTTP server and client, libpng and libjpeg).
import PackageDescription

let package = Package(
    name: "swift-multiprocessing-examples",
    products: [
        .executable(name: "demos", targets: ["Demos"]),
    ],
    dependencies: [
        .package(name: "swift-multiprocessing", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The crawler's test site (server) and its fetcher (client): both on SwiftNIO, built once.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // libpng and libjpeg-turbo, from the system (libpng-dev, libjpeg62-turbo-dev).
        .systemLibrary(name: "CImageCodecs", pkgConfig: "libpng"),
        // libjpeg's errors longjmp, which Swift cannot: a C shim keeps the setjmp in C.
        .target(name: "CJPEGShim", linkerSettings: [.linkedLibrary("jpeg")]),
        .target(
            name: "WordFreq",
            dependencies: [.product(name: "Multiprocessing", package: "swift-multiprocessing")]
        ),
        .target(
            name: "Thumbnails",
            dependencies: ["CImageCodecs", "CJPEGShim", .product(name: "Multiprocessing", package: "swift-multiprocessing")]
        ),
        .target(
            name: "Crawler",
            dependencies: [
                .product(name: "Multiprocessing", package: "swift-multiprocessing"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "Demos",
            dependencies: [
                "WordFreq", "Thumbnails", "Crawler",
                .product(name: "Multiprocessing", package: "swift-multiprocessing"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "WordFreqTests",
            dependencies: ["WordFreq", .product(name: "Multiprocessing", package: "swift-multiprocessing")]
        ),
        .testTarget(
            name: "ThumbnailsTests",
            dependencies: ["Thumbnails", .product(name: "Multiprocessing", package: "swift-multiprocessing")]
        ),
        .testTarget(
            name: "CrawlerTests",
            dependencies: ["Crawler", .product(name: "Multiprocessing", package: "swift-multiprocessing")]
        ),
    ]
)
