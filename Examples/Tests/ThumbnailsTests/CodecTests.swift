import Testing
@testable import Thumbnails

/// The codec wrappers: round trips, and the damaged files' errors.
@Suite struct CodecTests {
    private func picture(width: Int = 97, height: Int = 61) -> Image {
        var pixels = [UInt8]()
        for y in 0..<height {
            for x in 0..<width { pixels += [UInt8(x * 255 / width), UInt8(y * 255 / height), UInt8((x + y) % 256)] }
        }
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }

    @Test func pngRoundTripIsExact() throws {
        let image = picture()
        #expect(try PNGCodec.decode(PNGCodec.encode(image)) == image)
        let gray = Image(width: 5, height: 3, channels: 1, pixels: Array(0..<15).map { UInt8($0 * 17) })
        #expect(try PNGCodec.decode(PNGCodec.encode(gray), channels: 1) == gray)
    }

    @Test func jpegRoundTripIsClose() throws {
        let image = Image(width: 64, height: 48, color: [40, 160, 220])
        let decoded = try JPEGCodec.decode(JPEGCodec.encode(image, quality: 95))
        #expect(decoded.width == 64 && decoded.height == 48 && decoded.channels == 3)
        #expect(zip(decoded.pixels, image.pixels).allSatisfy { abs(Int($0) - Int($1)) <= 3 })
        // Asked for gray, libjpeg gives the stored luma: 0.299*40 + 0.587*160 + 0.114*220 = 131.9.
        let gray = try JPEGCodec.decode(JPEGCodec.encode(image, quality: 95), channels: 1)
        #expect(gray.channels == 1 && gray.pixels.allSatisfy { abs(Int($0) - 132) <= 2 })
    }

    @Test(arguments: CorruptFile.allCases)
    func damagedFilesFailWithTheDecodersMessage(kind: CorruptFile) throws {
        let bytes = try kind.bytes(seed: 1)
        let expected: CodecError
        switch kind {
        case .truncatedPNG: expected = CodecError(.png, "read beyond end of data")
        case .garbageJPEG: expected = CodecError(.jpeg, "Not a JPEG file: starts with 0x47 0x\(String(bytes[1], radix: 16))")
        case .badChecksumPNG: expected = CodecError(.png, "IDAT: CRC error")
        case .emptyPNG: expected = CodecError(.file, "empty file (0 bytes)")
        case .truncatedJPEG: expected = CodecError(.jpeg, "Premature end of JPEG file")
        }
        #expect(throws: expected) { try ImageFile.decode(bytes, format: kind.format) }
    }
}
