import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// How a process ended.
public enum ProcessExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// It called `exit` (or returned from a job): the status it gave.
    case exited(Int32)
    /// A signal ended it: `SIGSEGV` from a bad pointer, `SIGILL` or `SIGTRAP` from a Swift trap,
    /// `SIGKILL` from outside or from a timeout.
    case signaled(Int32)
    /// It ended, but how is not known: the program reaps its children itself (a `waitpid(-1)`
    /// elsewhere in it took the status first) or ignores SIGCHLD (the kernel then discards the
    /// status of every child). The library still notices the exit, through the process's pidfd.
    case unknown

    /// Exited with status 0.
    public var isSuccess: Bool { self == .exited(0) }

    /// Python's `Process.exitcode`: the status, or minus the signal's number; `Int32.min` when
    /// the status is ``unknown``.
    public var code: Int32 {
        switch self {
        case let .exited(status): return status
        case let .signaled(signal): return -signal
        case .unknown: return .min
        }
    }

    /// The signal's name ("SIGSEGV") when a signal ended the process.
    public var signalName: String? {
        guard case let .signaled(signal) = self else { return nil }
        return Self.name(ofSignal: signal)
    }

    static func name(ofSignal signal: Int32) -> String {
        guard let abbreviation = cmp_signal_name(signal) else { return "signal \(signal)" }
        return "SIG" + String(cString: abbreviation)
    }

    public var description: String {
        switch self {
        case let .exited(status): return "exited with status \(status)"
        case let .signaled(signal): return "killed by \(Self.name(ofSignal: signal))"
        case .unknown:
            return "ended with an unknown status (the program reaps children itself or ignores SIGCHLD)"
        }
    }

    init(waitStatus status: Int32) {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
        let signal = status & 0x7F
        if signal == 0 {
            self = .exited((status >> 8) & 0xFF)
        } else {
            self = .signaled(signal)
        }
    }
}
