/// The damaged files a real batch meets, each made from a good image (or from nothing).
public enum CorruptFile: Int, CaseIterable, Sendable {
    /// A PNG cut off in its image data (an interrupted download).
    case truncatedPNG
    /// Random bytes under a .jpg name.
    case garbageJPEG
    /// A PNG whose image data fails its CRC (a flipped bit).
    case badChecksumPNG
    /// An empty file.
    case emptyPNG
    /// A JPEG cut off in its entropy-coded data: libjpeg only warns and fills the rest with gray.
    case truncatedJPEG

    public var format: ImageFile.Format {
        switch self {
        case .truncatedPNG, .badChecksumPNG, .emptyPNG: return .png
        case .garbageJPEG, .truncatedJPEG: return .jpeg
        }
    }

    /// The file's bytes.
    func bytes(seed: UInt64) throws(CodecError) -> [UInt8] {
        var random = SplitMix(seed: seed ^ UInt64(rawValue + 1) &* 0xC0FF_EE00)
        var canvas = Canvas(width: 320, height: 240)
        let from = random.color(), to = random.color()
        canvas.fill { x, y in from.mixed(with: to, Double(x + y) / 560) }
        canvas.circle(centerX: 160, centerY: 120, radius: 80, random.color())
        switch self {
        case .truncatedPNG:
            let png = try PNGCodec.encode(canvas.image)
            return Array(png.prefix(png.count * 55 / 100))
        case .garbageJPEG:
            return [0x47] + (0..<4095).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case .badChecksumPNG:
            var png = try PNGCodec.encode(canvas.image)
            // Chunks: 8-byte signature, then length (4), type (4), data, CRC (4).
            var offset = 8
            while offset + 12 <= png.count {
                let length = png[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
                if Array(png[(offset + 4)..<(offset + 8)]) == Array("IDAT".utf8) {
                    png[offset + 8 + length + 3] ^= 0x01
                    break
                }
                offset += 12 + length
            }
            return png
        case .emptyPNG:
            return []
        case .truncatedJPEG:
            canvas.grain(8, &random)
            let jpeg = try JPEGCodec.encode(canvas.image, quality: 90)
            return Array(jpeg.prefix(jpeg.count * 60 / 100))
        }
    }
}
