import CMultiprocessing
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Shows how far long work has come: done/total, rate, time left, failures.
///
/// On a terminal it redraws one line; otherwise (a log, a pipe) it writes a line every few
/// seconds. Any `map`, `mapResults` or stream drives it: pass it as their `progress:`
/// argument, or call ``advance(by:failed:)`` yourself.
///
/// ```swift
/// let progress = ProgressReporter(total: images.count, label: "thumbnails")
/// let results = try await pool.mapResults(Thumbnail(), images, progress: progress)
/// progress.finish()
/// ```
///
/// It writes to a file descriptor (standard error by default), or hands each
/// ``ProgressReporter/Snapshot`` to a closure of yours for your own display.
///
/// Drawing never holds up the work: lines are written, and closures called, on a thread of the
/// library's own (one draw at a time, in order), not on the thread that supervises the workers
/// nor on Swift's cooperative threads. While a draw is slow (a closure that takes its time, a
/// standard error nobody reads), the snapshots in between are skipped and the latest is drawn
/// next. A write to a pipe whose reader is gone fails quietly instead of raising SIGPIPE.
public final class ProgressReporter: Sendable {
    /// The state of the work at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// The reporter's label, shown before the counts.
        public var label: String
        /// Items finished, failed ones included.
        public var done: Int
        /// Items that failed.
        public var failed: Int
        /// Items in all, when known (nil for a stream of unknown length).
        public var total: Int?
        /// Time since the reporter was made.
        public var elapsed: Duration

        /// Items per second so far.
        public var rate: Double {
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return seconds > 0 ? Double(done) / seconds : 0
        }

        /// Time left at the rate so far, when the total is known.
        public var remaining: Duration? {
            guard let total, rate > 0, done <= total else { return nil }
            return .seconds(Double(total - done) / rate)
        }

        /// One line: `label  1200/5000  24%  830/s  ETA 4.6s  3 failed`.
        public var line: String {
            var parts = [label]
            if let total {
                parts.append("\(done)/\(total)")
                if total > 0 { parts.append("\(done * 100 / total)%") }
            } else {
                parts.append("\(done)")
            }
            parts.append("\(Self.compact(rate))/s")
            if let remaining { parts.append("ETA \(Self.format(remaining))") }
            if failed > 0 { parts.append("\(failed) failed") }
            return parts.joined(separator: "  ")
        }

        static func compact(_ value: Double) -> String {
            if value >= 1_000_000 { return "\(Int(value / 100_000) / 10).\(Int(value / 100_000) % 10)M" }
            if value >= 10_000 { return "\(Int(value / 1000))k" }
            return "\(Int(value.rounded()))"
        }

        static func format(_ duration: Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            if seconds >= 120 { return "\(Int(seconds / 60))m\(Int(seconds) % 60)s" }
            return "\(Int(seconds * 10) / 10).\(Int(seconds * 10) % 10)s"
        }
    }

    /// Where the lines go.
    public enum Output: Sendable {
        /// A file descriptor: a redrawn line if it is a terminal, a line every few seconds if not.
        case fileDescriptor(Int32)
        /// Your closure, called at most every `interval` and once at the end, one call at a time
        /// on the library's output thread.
        case custom(interval: Duration, @Sendable (Snapshot) -> Void)

        /// Lines drawn on the program's standard error (descriptor 2).
        public static var standardError: Output { .fileDescriptor(2) }
    }

    private struct State {
        var done = 0
        var failed = 0
        var lastDrawn: UInt64 = 0
        var finished = false
        /// The latest snapshot not yet drawn, and whether it is the final one.
        var pending: (snapshot: Snapshot, final: Bool)?
        /// A draw is posted to the output thread and has not taken `pending` yet.
        var drawPosted = false
    }

    private let label: String
    private let total: Int?
    private let output: Output
    private let isTerminal: Bool
    private let interval: UInt64
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    /// - Parameters:
    ///   - total: How many items there will be, when known (for the percentage and time left).
    ///   - label: What the work is, first on the line.
    ///   - output: Where the line goes (default: standard error).
    public init(total: Int? = nil, label: String = "progress", output: Output = .standardError) {
        self.label = label
        self.total = total
        self.output = output
        switch output {
        case let .fileDescriptor(fd):
            isTerminal = isatty(fd) == 1
            interval = isTerminal ? 100_000_000 : 5_000_000_000
        case let .custom(interval, _):
            isTerminal = false
            self.interval = UInt64(max(0, interval.nanoseconds))
        }
    }

    /// Counts `count` more items done, `failed` of which failed.
    public func advance(by count: Int = 1, failed: Int = 0) {
        let now = cmp_monotonic_ns()
        let post: Bool = state.withLock { state in
            state.done += count
            state.failed += failed
            guard !state.finished, now &- state.lastDrawn >= interval else { return false }
            state.lastDrawn = now
            return Self.setPending(&state, makeSnapshot(state), final: false)
        }
        if post { OutputThread.progress.post { self.drawPending() } }
    }

    /// The state now.
    public var snapshot: Snapshot { state.withLock { makeSnapshot($0) } }

    /// Draws the final state (and ends the terminal line), and returns once it is drawn: after
    /// the draw in progress, if any (a `.custom` closure's call), and at most a second's wait for
    /// a descriptor that takes no bytes. Later calls do nothing.
    public func finish() {
        let post: Bool? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            return Self.setPending(&state, makeSnapshot(state), final: true)
        }
        guard let post else { return }
        if post { OutputThread.progress.post { self.drawPending() } }
        // Everything posted before runs first: on return the final line is out.
        OutputThread.progress.sync {}
    }

    /// Makes `snapshot` the next to draw; true when a draw must be posted for it.
    private static func setPending(_ state: inout State, _ snapshot: Snapshot, final: Bool) -> Bool {
        state.pending = (snapshot, final)
        guard !state.drawPosted else { return false }
        state.drawPosted = true
        return true
    }

    /// On the output thread: draws the latest snapshot.
    private func drawPending() {
        let next = state.withLock { state -> (snapshot: Snapshot, final: Bool)? in
            defer { state.pending = nil; state.drawPosted = false }
            return state.pending
        }
        if let next { draw(next.snapshot, final: next.final) }
    }

    private func makeSnapshot(_ state: State) -> Snapshot {
        Snapshot(label: label, done: state.done, failed: state.failed, total: total,
                 elapsed: ContinuousClock.now - started)
    }

    private func draw(_ snapshot: Snapshot, final: Bool) {
        switch output {
        case let .custom(_, body):
            body(snapshot)
        case let .fileDescriptor(fd):
            // "\r" and erase-line keep one redrawn line on a terminal.
            let text = isTerminal ? "\r\u{1B}[2K" + snapshot.line + (final ? "\n" : "") : snapshot.line + "\n"
            var bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                // Never wait long on a descriptor nobody reads (it would stop all drawing, and
                // finish()): a line that cannot go now is skipped, the next says more; the final
                // line waits up to a second. A line (under PIPE_BUF) fits once POLLOUT is set.
                var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                guard poll(&entry, 1, final ? 1000 : 0) == 1, entry.revents & Int16(POLLOUT) != 0 else { break }
                let written = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { break }
            }
        }
    }
}
