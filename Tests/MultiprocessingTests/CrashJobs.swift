import Foundation
import Testing
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// The ways a job can take its worker down, for the crash matrix.
enum CrashMode: String, Codable, Sendable, CaseIterable, CustomTestStringConvertible {
    case fatalError, forceUnwrapNil, indexOutOfRange, integerOverflow, nullDereference, abort, exit3
    case stackOverflow, sigkillFromOutside, memoryCap, infiniteLoop

    var testDescription: String { rawValue }
}

/// Doubles its input, except for the inputs in `bad`, where it crashes in the way `mode` says.
struct Crasher: Job {
    var mode: CrashMode
    var bad: Set<Int>
    /// For `sigkillFromOutside`: where a bad item writes its pid for the test to kill it.
    var pidDirectory: String = ""

    func run(_ x: Int) async throws -> Int {
        guard bad.contains(x) else { return x * 2 }
        switch mode {
        case .fatalError:
            Swift.fatalError("boom at \(x)")
        case .forceUnwrapNil:
            let missing: Int? = x < 0 ? x : nil
            return missing!
        case .indexOutOfRange:
            let small = [1, 2, 3]
            return small[x + small.count]
        case .integerOverflow:
            var value = Int.max - 1
            value += x
            return value
        case .nullDereference:
            let pointer = UnsafeMutablePointer<Int>(bitPattern: 16)!
            pointer.pointee = x
            return pointer.pointee
        case .abort:
            Glibc.abort()
        case .exit3:
            Glibc.exit(3)
        case .stackOverflow:
            return recurse(x)
        case .sigkillFromOutside:
            let path = "\(pidDirectory)/\(x).pid"
            try "\(getpid())".write(toFile: path, atomically: true, encoding: .utf8)
            try await Task.sleep(for: .seconds(60))
            return -1
        case .memoryCap:
            // Far beyond the pool's cap: the allocation fails.
            var hog = [UInt8](repeating: 1, count: 4 << 30)
            hog[x] = 2
            return Int(hog[x])
        case .infiniteLoop:
            var counter = 0
            while counter >= 0 { counter = (counter &+ 1) & 0xFFFF }
            return counter
        }
    }

    private func recurse(_ depth: Int) -> Int {
        var frame = [Int](repeating: depth, count: 64)
        frame[depth % 64] = depth < Int.max ? recurse(depth + 1) : 0
        return frame.reduce(0, +)
    }
}
