/// A malformed, truncated or oversized message on the wire, or a value the binary coder cannot represent.
///
/// The library never traps on bad input: every decoding path throws one of these instead.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before a value of `needed` bytes could be read.
    case truncated(needed: Int, remaining: Int)
    /// A length or count larger than the bytes that remain, or than the frame-size cap.
    case lengthTooLarge(claimed: UInt64, limit: Int)
    /// A byte that does not fit where it stands (an unknown tag, kind or flag).
    case unexpectedByte(UInt8, context: String)
    /// Bytes that are not valid UTF-8 where a string was expected.
    case invalidUTF8
    /// A value that does not fit the type asked for (e.g. 300 into a `UInt8`).
    case valueOutOfRange(String)
    /// Any other structural problem, described.
    case malformed(String)

    public var description: String {
        switch self {
        case let .truncated(needed, remaining):
            return "truncated input: needed \(needed) more bytes, \(remaining) remain"
        case let .lengthTooLarge(claimed, limit):
            return "length \(claimed) exceeds the limit of \(limit) bytes"
        case let .unexpectedByte(byte, context):
            return "unexpected byte 0x\(String(byte, radix: 16)) in \(context)"
        case .invalidUTF8:
            return "invalid UTF-8 in a string"
        case let .valueOutOfRange(what):
            return "value out of range: \(what)"
        case let .malformed(what):
            return "malformed input: \(what)"
        }
    }
}
