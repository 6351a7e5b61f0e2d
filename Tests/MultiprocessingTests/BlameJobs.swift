import Foundation
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// What a job does to its own worker at its bad items, for the exact-blame tests.
enum Vandalism: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// Closes every socket it holds (as a daemon's close-everything loop would).
    case closeSockets
    /// `dup2`s /dev/null over every socket it holds.
    case replaceSockets
    /// Writes bytes that are not frames into every socket it holds.
    case writeGarbage
    /// Writes into every socket it holds the header of a results frame of 1 MiB, and no body:
    /// a parent that trusted the length would wait for the body for ever.
    case writeFalseHeader
    /// Calls `exit(0)` in the middle of the item.
    case exitZero
    /// Closes descriptor 3, where the channel was born (a job that thinks 3 is its own file).
    case closeDescriptor3
    /// Writes into descriptor 3.
    case writeDescriptor3

    var description: String { rawValue }

    /// Every descriptor of this process that is a socket.
    static func socketDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap(Int32.init).filter { fd in
            var info = stat()
            return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
        }
    }

    func commit() {
        switch self {
        case .closeSockets:
            for fd in Self.socketDescriptors() { close(fd) }
        case .replaceSockets:
            let null = open("/dev/null", O_RDWR)
            for fd in Self.socketDescriptors() { dup2(null, fd) }
            close(null)
        case .writeGarbage:
            let junk = [UInt8](repeating: 0xEE, count: 64)
            for fd in Self.socketDescriptors() { _ = junk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
        case .writeFalseHeader:
            let header: [UInt8] = [0x01, 0x00, 0x10, 0x00, 65]
            for fd in Self.socketDescriptors() { _ = header.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
        case .exitZero:
            exit(0)
        case .closeDescriptor3:
            close(3)
        case .writeDescriptor3:
            let junk = [UInt8](repeating: 0xEE, count: 64)
            _ = junk.withUnsafeBytes { write(3, $0.baseAddress, $0.count) }
        }
    }
}

/// Notes each run of an item in `directory` (one byte appended to a file named for the item),
/// so that a test can count how often every item ran.
func noteRun(of item: Int, in directory: String) {
    let fd = open("\(directory)/\(item)", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return }
    var byte: UInt8 = 1
    _ = write(fd, &byte, 1)
    close(fd)
}

/// How many times each of `items` ran (see ``noteRun(of:in:)``).
func runCounts(_ items: Range<Int>, in directory: String) -> [Int] {
    items.map { item in
        var info = stat()
        return stat("\(directory)/\(item)", &info) == 0 ? Int(info.st_size) : 0
    }
}

/// Doubles its input after `micros` microseconds; at the items in `bad` it damages its worker
/// as `vandalism` says, and still returns.
struct Vandal: Job {
    var vandalism: Vandalism
    var bad: Set<Int>
    var runLog: String
    var micros: UInt32 = 0

    func run(_ x: Int) async throws -> Int {
        noteRun(of: x, in: runLog)
        if micros > 0 { usleep(micros) }
        if bad.contains(x) { vandalism.commit() }
        return x * 2
    }
}

/// An output whose encoding traps for the bad ones: a death while a result is still unsent.
struct FragileOutput: Codable, Sendable, Equatable {
    var value: Int
    var trap: Bool

    func encode(to encoder: any Encoder) throws {
        if trap { fatalError("encoding a fragile output") }
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    init(value: Int, trap: Bool) {
        self.value = value
        self.trap = trap
    }

    init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(Int.self)
        trap = false
    }
}

struct FragileOutputJob: Job {
    var bad: Set<Int>
    var runLog: String
    var micros: UInt32 = 0

    func run(_ x: Int) async throws -> FragileOutput {
        noteRun(of: x, in: runLog)
        if micros > 0 { usleep(micros) }
        return FragileOutput(value: x * 2, trap: bad.contains(x))
    }
}

/// An input whose decoding (in the worker) traps when it is negative.
struct TouchyInput: Codable, Sendable {
    var value: Int

    init(_ value: Int) { self.value = value }

    init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(Int.self)
        if value < 0 { fatalError("decoding a touchy input") }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

struct TouchyInputJob: Job {
    func run(_ input: TouchyInput) async throws -> Int { input.value * 2 }
}

/// A job whose own decoding, in the worker, traps.
struct UndecodableJob: Job {
    init() {}

    init(from decoder: any Decoder) throws {
        fatalError("decoding an undecodable job")
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(0)
    }

    func run(_ x: Int) async throws -> Int { x }
}

/// Returns `size` bytes for the items in `large`, 8 for the others.
struct SizedOutputJob: Job {
    var large: Set<Int>
    var size: Int

    func run(_ x: Int) async throws -> [UInt8] {
        [UInt8](repeating: UInt8(truncatingIfNeeded: x), count: large.contains(x) ? size : 8)
    }
}

/// Returns the length of its input.
struct ByteCount: Job {
    /// Carried with the job, to make its value as large as a test needs.
    var ballast: [UInt8] = []

    func run(_ bytes: [UInt8]) async throws -> Int { bytes.count }
}
