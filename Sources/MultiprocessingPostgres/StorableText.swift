#if Postgres
/// Text made fit for a PostgreSQL `text` column, whatever a job produced: the server refuses NUL
/// bytes and invalid UTF-8, and a megabyte of error message per attempt would bloat every row
/// it lands in. Every text a host writes back (error types, messages, stderr tails, causes)
/// goes through here, so that no outcome can poison a write-back.
@_spi(Testing)
public enum StorableText {
    /// The largest text stored, in UTF-8 bytes (the cut's note included).
    public static let limit = 8 * 1024

    /// `text` with each NUL replaced by U+FFFD and, if longer than `limit` bytes, cut at a
    /// character boundary with a note of how much was cut. (A Swift `String` is valid UTF-8:
    /// bytes that were not, such as a stderr tail's, were already replaced by U+FFFD when they
    /// were decoded; ``init(bytes:)`` does that for raw bytes.)
    static func make(_ text: String, limit: Int = limit) -> String {
        let total = text.utf8.count
        guard text.utf8.contains(0) || total > limit else { return text }
        let room = total > limit ? max(0, limit - 40) : total
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            let clean: Unicode.Scalar = scalar == "\u{0}" ? "\u{FFFD}" : scalar
            let size = UTF8.width(clean)
            if bytes + size > room { break }
            kept.append(clean)
            bytes += size
        }
        var result = String(kept)
        if total > limit { result += "… (\(total - bytes) bytes cut)" }
        return result
    }

    /// Raw bytes as storable text: invalid UTF-8 becomes U+FFFD, then as ``make(_:limit:)``.
    static func make(bytes: some Collection<UInt8>, limit: Int = limit) -> String {
        make(String(decoding: bytes, as: UTF8.self), limit: limit)
    }
}
#endif  // Postgres
