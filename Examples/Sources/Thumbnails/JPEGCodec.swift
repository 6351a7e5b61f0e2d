import CJPEGShim

/// JPEG files through libjpeg-turbo, by way of the C shim that keeps libjpeg's longjmp in C.
public enum JPEGCodec {
    /// Decodes a JPEG to 8-bit pixels of `channels` (3: RGB, 1: gray). Damaged data that libjpeg
    /// only warns about (a premature end, corrupt entropy data) is an error here.
    public static func decode(_ data: [UInt8], channels: Int = 3) throws(CodecError) -> Image {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0
        var height: Int32 = 0
        var message = [CChar](repeating: 0, count: Int(JPEGSHIM_MESSAGE_SIZE))
        let status = data.withUnsafeBufferPointer { bytes in
            jpegshim_decode(bytes.baseAddress, bytes.count, Int32(channels), &pixels, &width, &height, &message)
        }
        defer { jpegshim_free(pixels) }
        guard status == 0, let pixels else { throw CodecError(.jpeg, Self.string(message)) }
        let count = Int(width) * Int(height) * channels
        return Image(width: Int(width), height: Int(height), channels: channels,
                     pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }

    /// Encodes 8-bit gray or RGB pixels as a baseline JPEG of `quality` (1-100).
    public static func encode(_ image: Image, quality: Int = 85) throws(CodecError) -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(JPEGSHIM_MESSAGE_SIZE))
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            jpegshim_encode(pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
                            Int32(quality), &output, &size, &message)
        }
        defer { jpegshim_free(output) }
        guard status == 0, let output else { throw CodecError(.jpeg, Self.string(message)) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    private static func string(_ message: [CChar]) -> String {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.isEmpty ? "unknown error" : text
    }
}
