#if canImport(Glibc)
import Glibc
#endif

/// Forwards a worker's standard error to the parent's, whole lines at a time so that workers'
/// lines never interleave mid-line, and keeps the last few lines for crash reports.
struct StderrTail {
    static let keptLines = 20
    static let maxLineLength = 500

    private(set) var lines: [String] = []
    private var partial: [UInt8] = []
    /// Where lines go: the program's standard error, written without blocking the reactor.
    private let forwarder: StderrForwarder?

    init(forwardingTo forwarder: StderrForwarder? = Reactor.shared.stderrForwarder) {
        self.forwarder = forwarder
    }

    mutating func consume(_ bytes: UnsafeRawBufferPointer) {
        guard let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
            partial.append(contentsOf: bytes)
            if partial.count > 4096 { flushPartial() }
            return
        }
        var complete = partial
        complete.append(contentsOf: bytes[...lastNewline])
        partial = Array(bytes[(lastNewline + 1)...])
        for line in complete.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            remember(Array(line))
        }
        complete.withUnsafeBytes { forward($0) }
        if partial.count > 4096 { flushPartial() }
    }

    /// Forwards and keeps a last line that has no newline (the process ended).
    mutating func flushPartial() {
        guard !partial.isEmpty else { return }
        remember(partial)
        var line = partial
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { forward($0) }
        partial.removeAll()
    }

    /// Keeps a line for crash reports, unless it is part of a stack trace (Swift prints one
    /// after "Fatal error: ..."; its frames would push the message itself out of the tail).
    private mutating func remember(_ line: [UInt8]) {
        if Self.isStackTraceLine(line) { return }
        var text = String(decoding: line.prefix(Self.maxLineLength), as: UTF8.self)
        if line.count > Self.maxLineLength { text += "…" }
        lines.append(text)
        if lines.count > Self.keptLines { lines.removeFirst(lines.count - Self.keptLines) }
    }

    static func isStackTraceLine(_ line: [UInt8]) -> Bool {
        if line.starts(with: Array("Current stack trace:".utf8)) || line.starts(with: Array("Stack dump:".utf8)) {
            return true
        }
        // "12   libc.so.6   0x00007f... <unavailable> + 561653": a number, spaces, a name, an address.
        var index = line.startIndex
        while index < line.endIndex, line[index] == UInt8(ascii: " ") { index += 1 }
        let digitsStart = index
        while index < line.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[index]) { index += 1 }
        guard index > digitsStart, index < line.endIndex, line[index] == UInt8(ascii: " ") else { return false }
        return line.count > index + 2 && line[index...].contains(UInt8(ascii: "x"))
            && String(decoding: line, as: UTF8.self).contains(" 0x")
    }

    private func forward(_ bytes: UnsafeRawBufferPointer) {
        forwarder?.write(bytes)
    }
}
