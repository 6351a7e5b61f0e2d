import CImageCodecs

/// PNG files through libpng's simplified API (`png_image_*`), which reports errors by return
/// value and a message: no setjmp on the Swift side.
public enum PNGCodec {
    /// Decodes a PNG of any kind (palette, gray, 16-bit, alpha) to 8-bit pixels of `channels`
    /// (3: RGB, 1: gray); transparency is composited onto white.
    public static func decode(_ data: [UInt8], channels: Int = 3) throws(CodecError) -> Image {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let began = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard began != 0 else { throw CodecError(.png, message(of: &image)) }
        image.format = channels == 1 ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
        let width = Int(image.width)
        let height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        var white = png_color(red: 255, green: 255, blue: 255)
        let finished = pixels.withUnsafeMutableBytes {
            png_image_finish_read(&image, &white, $0.baseAddress, Int32(width * channels), nil)
        }
        guard finished != 0 else { throw CodecError(.png, message(of: &image)) }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Encodes 8-bit gray or RGB pixels as a PNG.
    public static func encode(_ source: Image) throws(CodecError) -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(source.width)
        image.height = UInt32(source.height)
        image.format = source.channels == 1 ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
        defer { png_image_free(&image) }
        // First call: the size needed; second: the bytes.
        var size = 0
        let sized = source.pixels.withUnsafeBytes {
            png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil)
        }
        guard sized != 0 else { throw CodecError(.png, message(of: &image)) }
        var output = [UInt8](repeating: 0, count: size)
        let written = source.pixels.withUnsafeBytes { pixels in
            output.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, pixels.baseAddress, 0, nil) }
        }
        guard written != 0 else { throw CodecError(.png, message(of: &image)) }
        return Array(output.prefix(size))
    }

    /// libpng's message: a fixed char[64] in the struct.
    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
