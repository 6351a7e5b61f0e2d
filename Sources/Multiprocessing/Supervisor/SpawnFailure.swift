#if canImport(Glibc)
import Glibc
#endif

/// Why a worker could not be started: the step that failed and its errno.
///
/// A pool tells the two kinds apart. A transient cause (descriptors or processes used up,
/// memory short) passes by itself, and the pool tries again with back-off; any other cause (the
/// executable cannot be found, read or run) will not pass, and breaks the pool at once.
struct SpawnFailure: Error, CustomStringConvertible {
    /// What failed: "socketpair", "pipe", "memfd", "posix_spawn", "pidfd".
    var step: String
    var code: Int32
    /// The file that could not be run, for a failure of the exec itself.
    var executable: String?

    /// The errnos of a shortage that passes without anyone changing the program or its files.
    static let transientCodes: Set<Int32> = [EMFILE, ENFILE, EAGAIN, ENOMEM, ENOBUFS]

    var isTransient: Bool { Self.transientCodes.contains(code) }

    var description: String {
        var text = "\(step): \(errnoText(code)) (\(Self.name(of: code)))"
        if let executable { text += " for \(executable)" }
        return text
    }

    var asPoolError: ProcessPoolError { .spawnFailed(description) }

    private static func name(of code: Int32) -> String {
        switch code {
        case EMFILE: return "EMFILE"
        case ENFILE: return "ENFILE"
        case EAGAIN: return "EAGAIN"
        case ENOMEM: return "ENOMEM"
        case ENOBUFS: return "ENOBUFS"
        case ENOENT: return "ENOENT"
        case EACCES: return "EACCES"
        case ENOEXEC: return "ENOEXEC"
        case EPERM: return "EPERM"
        default: return "errno \(code)"
        }
    }
}
