#if Postgres
import Foundation
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// The fault scenarios' job: each task appends a line to a journal (so that executions can be
/// counted, and a result no execution produced found), naps, and returns a value that only this
/// job's task of this input can have. Poisoned inputs fail instead, with texts PostgreSQL cannot
/// store as they are (see ``Expected``).
public struct ChaosJob: Job {
    /// Makes this job's results its own: a result of another job, or another task, is wrong.
    public var salt: UInt64
    /// The file each execution appends `salt index pid` to ("" for none).
    public var journal: String
    /// How long each task takes.
    public var napMicroseconds: Int
    /// Inputs `x` with `x % poisonModulus == throwResidue` throw an error whose text holds NUL
    /// bytes and a megabyte; with `== crashResidue` the worker writes invalid UTF-8 and a NUL
    /// byte to stderr and exits (every attempt, until the task is dead-lettered). 0: none.
    public var poisonModulus: Int
    public var throwResidue: Int
    public var crashResidue: Int

    public init(salt: UInt64, journal: String, napMicroseconds: Int, poisonModulus: Int = 0,
                throwResidue: Int = 0, crashResidue: Int = 1) {
        self.salt = salt
        self.journal = journal
        self.napMicroseconds = napMicroseconds
        self.poisonModulus = poisonModulus
        self.throwResidue = throwResidue
        self.crashResidue = crashResidue
    }

    /// What a task of this job must end with.
    public enum Expected: Equatable, Sendable {
        case value(UInt64)
        /// A ``PoisonedError``, its text made storable (no NUL, cut to a bound).
        case thrown
        /// A crash on every attempt: dead-lettered with the crash as its cause.
        case crashed
    }

    public func expected(_ x: Int) -> Expected {
        if poisonModulus > 0 {
            if x % poisonModulus == throwResidue { return .thrown }
            if x % poisonModulus == crashResidue { return .crashed }
        }
        return .value(Self.mix(salt ^ UInt64(truncatingIfNeeded: x) &* 0x9E37_79B9_7F4A_7C15))
    }

    public func run(_ x: Int) async throws -> UInt64 {
        if !journal.isEmpty { Self.append("\(salt) \(x) \(getpid())\n", to: journal) }
        switch expected(x) {
        case let .value(value):
            if napMicroseconds > 0 { try await Task.sleep(for: .microseconds(napMicroseconds)) }
            return value
        case .thrown:
            throw PoisonedError(input: x)
        case .crashed:
            let bytes: [UInt8] = Array("poisoned".utf8) + [0x00, 0xFF, 0xFE, 0xC3] + Array(" stderr\n".utf8)
            _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            _exit(3)
        }
    }

    /// An error whose message PostgreSQL cannot store as it is: NUL bytes, and a megabyte.
    public struct PoisonedError: Error, CustomStringConvertible {
        public var input: Int
        public var description: String { "poisoned \(input)\u{0}here " + String(repeating: "x", count: 1 << 20) }
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x = (x ^ (x >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        x = (x ^ (x >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return x ^ (x >> 33)
    }

    /// One write with O_APPEND: lines of several processes never interleave (they are far
    /// below PIPE_BUF, and the file is local).
    static func append(_ line: String, to path: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var bytes = Array(line.utf8)
        _ = write(fd, &bytes, bytes.count)
    }

    /// Executions per input of the job with `salt`, from a journal.
    public static func executions(in journal: String, salt: UInt64) -> [Int: Int] {
        guard let text = try? String(contentsOfFile: journal, encoding: .utf8) else { return [:] }
        var counts: [Int: Int] = [:]
        let prefix = "\(salt) "
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let x = Int(fields[1]) { counts[x, default: 0] += 1 }
        }
        return counts
    }
}

/// SplitMix64: a small, seeded generator, so that a scenario's random points replay from its seed.
public struct ChaosRandom: RandomNumberGenerator, Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
#endif  // Postgres
