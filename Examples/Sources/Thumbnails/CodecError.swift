/// A file a codec could not read or write, with the codec's own words.
public struct CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Codec: String, Sendable {
        case png = "libpng"
        case jpeg = "libjpeg"
        case file = "file"
    }

    public var codec: Codec
    /// What the codec said (libpng's and libjpeg's messages as they word them).
    public var message: String

    public init(_ codec: Codec, _ message: String) {
        self.codec = codec
        self.message = message
    }

    public var description: String { "\(codec.rawValue): \(message)" }
}
