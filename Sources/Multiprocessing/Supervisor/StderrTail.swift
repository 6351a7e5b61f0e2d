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
    let forwardTo: Int32

    init(forwardTo: Int32 = 2) {
        self.forwardTo = forwardTo
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

    private mutating func remember(_ line: [UInt8]) {
        var text = String(decoding: line.prefix(Self.maxLineLength), as: UTF8.self)
        if line.count > Self.maxLineLength { text += "…" }
        lines.append(text)
        if lines.count > Self.keptLines { lines.removeFirst(lines.count - Self.keptLines) }
    }

    private func forward(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let n = write(forwardTo, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
        }
    }
}
