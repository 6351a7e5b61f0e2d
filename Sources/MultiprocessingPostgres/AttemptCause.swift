#if Postgres
/// How a host records why an attempt ended: the reason, then the last lines of the worker's
/// standard error when it wrote any, as `<reason> (stderr: <line>\n<line>...)`. One text per
/// attempt, so that it fits the `causes` array that every build writes (no schema change), and
/// ``DeadLetter/Attempt`` reads the two parts apart again.
enum AttemptCause {
    /// The stderr lines kept at the most: the local pool keeps 20 of up to 500 characters each;
    /// their UTF-8 is cut to this many bytes, the oldest lines first, so that the reason and
    /// the newest lines stay within ``StorableText/limit``.
    static let tailBytes = 4 * 1024
    static let marker = " (stderr: "

    static func text(reason: String, stderrTail: [String]) -> String {
        var kept: [String] = []
        var bytes = 0
        for line in stderrTail.reversed() {
            bytes += line.utf8.count + 1
            if bytes > tailBytes { break }
            kept.append(line)
        }
        guard !kept.isEmpty else { return reason }
        return reason + marker + kept.reversed().joined(separator: "\n") + ")"
    }

    /// The reason and the stderr lines of a recorded cause (none if it has no stderr part).
    static func split(_ cause: String) -> (reason: String, stderrTail: [String]) {
        guard cause.hasSuffix(")"), let start = cause.range(of: marker) else { return (cause, []) }
        let tail = cause[start.upperBound...].dropLast()
        return (String(cause[..<start.lowerBound]), tail.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    }
}

extension DeadLetter.Attempt {
    /// The cause without the worker's stderr (a signal or exit status, a timeout, a lost lease).
    public var reason: String { AttemptCause.split(cause).reason }

    /// The last lines the worker wrote to its standard error before the attempt ended (up to
    /// 20, the oldest cut first past 4 KiB), empty when it wrote none or the host did not record
    /// them (a lost lease; builds before this one recorded the last line only).
    public var stderrTail: [String] { AttemptCause.split(cause).stderrTail }
}
#endif  // Postgres
