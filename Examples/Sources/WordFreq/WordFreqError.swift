#if canImport(Glibc)
import Glibc
#endif

/// What can go wrong with the corpus file.
public enum WordFreqError: Error, CustomStringConvertible {
    case cannotOpen(String, errno: Int32)
    case readFailed(String, errno: Int32)
    case cannotWrite(String, errno: Int32)

    public var description: String {
        switch self {
        case let .cannotOpen(path, code): return "cannot open \(path): \(String(cString: strerror(code)))"
        case let .readFailed(path, code): return "cannot read \(path): \(String(cString: strerror(code)))"
        case let .cannotWrite(path, code): return "cannot write \(path): \(String(cString: strerror(code)))"
        }
    }
}
