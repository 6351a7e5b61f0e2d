import Foundation
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// Crashes (abort) the first time it sees an input, succeeds the next: marker files in `directory`.
struct CrashOnce: Job {
    var directory: String

    func run(_ x: Int) async throws -> Int {
        let marker = "\(directory)/\(x)"
        if FileManager.default.fileExists(atPath: marker) { return x }
        _ = FileManager.default.createFile(atPath: marker, contents: nil)
        abort()
    }
}

/// The same, retried once by its type's own policy.
struct CrashOnceRetriedByType: Job {
    static var retries: Int? { 1 }
    var directory: String

    func run(_ x: Int) async throws -> Int {
        try await CrashOnce(directory: directory).run(x)
    }
}

struct AlwaysAbort: Job {
    func run(_ x: Int) async throws -> Int { abort() }
}

struct AlwaysAbortOn: Job {
    var bad: Set<Int>
    func run(_ x: Int) async throws -> Int {
        if bad.contains(x) { abort() }
        return x
    }
}

/// Keeps 40 MB more each call, for recycling by memory.
struct Leaky: Job {
    nonisolated(unsafe) static var kept: [[UInt8]] = []  // touched by one job at a time in a worker

    func run(_ x: Int) async throws -> Int32 {
        Self.kept.append([UInt8](repeating: UInt8(truncatingIfNeeded: x), count: 40 << 20))
        return getpid()
    }
}

struct ThrowingInitializer: ProcessTarget {
    func run() async throws { throw TestJobError.rejected(0) }
}

struct TrappingInitializer: ProcessTarget {
    func run() async throws { fatalError("initializer trap") }
}

/// Writes bytes that are not a valid frame onto its worker's channel (fd 3), as a corrupt or
/// malicious worker might.
struct GarbageWriter: Job {
    enum Kind: String, Codable, Sendable { case unknownKind, oversized, truncatedThenExit, undecodableResults }
    var kind: Kind

    func run(_ x: Int) async throws -> Int {
        guard x == 3 else { return x }
        var bytes: [UInt8]
        switch kind {
        case .unknownKind: bytes = [2, 0, 0, 0, 250, 1]
        case .oversized: bytes = [0xFF, 0xFF, 0xFF, 0x7F, 65]
        case .truncatedThenExit: bytes = [100, 0, 0, 0, 65, 1, 2, 3]
        case .undecodableResults: bytes = [3, 0, 0, 0, 65, 1, 2]
        }
        // Into the worker's channel: its one socket.
        for fd in Vandalism.socketDescriptors() { _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
        if kind == .truncatedThenExit { exit(0) }
        try await Task.sleep(for: .seconds(30))
        return x
    }
}

/// An input that encodes but cannot be decoded.
struct Unreadable: Codable, Sendable {
    struct Refused: Error {}
    init() {}
    init(from decoder: any Decoder) throws { throw Refused() }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(1)
    }
}

/// An output that cannot be encoded.
struct Unwritable: Codable, Sendable {
    struct Refused: Error {}
    init() {}
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws { throw Refused() }
}

struct TakesUnreadable: Job {
    func run(_ input: Unreadable) async throws -> Int { 1 }
}

struct ReturnsUnwritable: Job {
    func run(_ x: Int) async throws -> Unwritable { Unwritable() }
}

/// Where each of the worker's descriptors points.
struct ListDescriptors: Job {
    func run(_ x: Int) async throws -> [String: String] {
        var table: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            // The listing's own descriptor is closed by now: its link no longer resolves.
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)") {
                table[name] = target
            }
        }
        return table
    }
}
