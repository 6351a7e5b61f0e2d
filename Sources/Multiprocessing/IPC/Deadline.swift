import CMultiprocessing

/// A point on CLOCK_MONOTONIC, in nanoseconds: the one clock that every process of a machine
/// shares and that the futex calls take as an absolute deadline.
struct Deadline: Comparable, Sendable {
    var nanoseconds: UInt64

    static let never = Deadline(nanoseconds: .max)

    static var now: Deadline { Deadline(nanoseconds: cmp_monotonic_ns()) }

    /// `timeout` from now; a negative timeout is now.
    static func after(_ timeout: Duration) -> Deadline {
        let (seconds, attoseconds) = timeout.components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return .now }
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanos.overflow else { return .never }
        let total = UInt64(max(0, nanos.partialValue + attoseconds / 1_000_000_000))
        let (sum, overflow) = cmp_monotonic_ns().addingReportingOverflow(total)
        return overflow ? .never : Deadline(nanoseconds: sum)
    }

    /// `nanoseconds` from now.
    static func after(nanoseconds: UInt64) -> Deadline {
        let (sum, overflow) = cmp_monotonic_ns().addingReportingOverflow(nanoseconds)
        return overflow ? .never : Deadline(nanoseconds: sum)
    }

    var hasPassed: Bool { self != .never && cmp_monotonic_ns() >= nanoseconds }

    static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

/// How often a waiter that depends on another process (a lock's holder, a pipe's peer) wakes
/// to check that the process still lives. A dead peer is noticed within this time.
let livenessCheckInterval: UInt64 = 50_000_000
