#if Tools
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// What a soak item does, decided from its index and the seed alone, so that the parent knows
/// what to expect of every item.
enum Fate: String, CaseIterable {
    case succeed, crash, hang, fail

    static func of(_ index: Int, seed: UInt64, crashRate: Double, hangRate: Double, throwRate: Double) -> Fate {
        var mixed = UInt64(truncatingIfNeeded: index) &+ seed &* 0x9E37_79B9_7F4A_7C15
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        let draw = Double(mixed >> 11) / Double(1 << 53)
        if draw < crashRate { return .crash }
        if draw < crashRate + hangRate { return .hang }
        if draw < crashRate + hangRate + throwRate { return .fail }
        return .succeed
    }
}

struct SoakError: Error, CustomStringConvertible {
    var index: Int
    var description: String { "item \(index) refused" }
}

/// Returns its index after a little work; crashes (in one of several ways), hangs or throws
/// when its fate says so.
struct SoakJob: Job {
    var seed: UInt64
    var crashRate: Double
    var hangRate: Double
    var throwRate: Double

    func run(_ index: Int) async throws -> Int {
        switch Fate.of(index, seed: seed, crashRate: crashRate, hangRate: hangRate, throwRate: throwRate) {
        case .succeed:
            var accumulator = index
            for step in 0..<200 { accumulator = accumulator &* 31 &+ step }
            return accumulator == 42 ? -1 : index
        case .crash:
            switch index % 4 {
            case 0: fatalError("soak crash at \(index)")
            case 1: abort()
            case 2: exit(7)
            default:
                let null = UnsafeMutablePointer<Int>(bitPattern: 8)!
                null.pointee = index
                return null.pointee
            }
        case .hang:
            while true { sleep(3600) }
        case .fail:
            throw SoakError(index: index)
        }
    }
}
#endif  // Tools
