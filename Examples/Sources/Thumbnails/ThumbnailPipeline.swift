import CImageCodecs

/// How thumbnails are made.
public struct ThumbnailSettings: Codable, Sendable, Equatable {
    /// The box a thumbnail fits in.
    public var boxWidth = 160
    public var boxHeight = 120
    /// The blur's standard deviation, in thumbnail pixels.
    public var blurSigma: Float = 1.0

    public init() {}
}

/// What became of one image.
public struct Thumbnail: Codable, Sendable, Equatable {
    /// The input's file name.
    public var name: String
    public var sourceWidth: Int
    public var sourceHeight: Int
    public var width: Int
    public var height: Int
    /// CRC-32 of the written file.
    public var checksum: UInt32
    public var inputBytes: Int
    public var outputBytes: Int
}

/// Decode, gray, shrink, blur, encode, write: the work of one item.
public enum ThumbnailPipeline {
    /// The thumbnail of a decoded image: luma, area-averaged to fit the box, blurred, rounded.
    ///
    /// Luma is taken first, as the pixels are read: it is linear, as is area averaging, so the
    /// order does not change the result, and shrinking one channel costs a third of three.
    public static func render(_ image: Image, settings: ThumbnailSettings = ThumbnailSettings()) -> Image {
        let size = ThumbnailSize.fit(width: image.width, height: image.height,
                                     boxWidth: settings.boxWidth, boxHeight: settings.boxHeight)
        let small = AreaResize.resizeLuma(image, width: size.width, height: size.height)
        return GaussianBlur.apply(small, sigma: settings.blurSigma).quantized()
    }

    /// Makes the thumbnail of the file at `input` in `outputDirectory`, under the same name and
    /// in the same format.
    public static func process(input: String, outputDirectory: String,
                               settings: ThumbnailSettings = ThumbnailSettings()) throws(CodecError) -> Thumbnail {
        let name = String(input.split(separator: "/").last ?? Substring(input))
        guard let format = ImageFile.Format(path: name) else {
            throw CodecError(.file, "\(name): not a .png, .jpg or .jpeg name")
        }
        let bytes = try ImageFile.read(input)
        // A JPEG already stores luma (BT.601 weights): asking libjpeg for gray skips the color
        // conversion and chroma upsampling. A PNG stores RGB: the luma is ours.
        let image = try ImageFile.decode(bytes, format: format, channels: format == .jpeg ? 1 : 3)
        let thumbnail = render(image, settings: settings)
        let encoded = try ImageFile.encode(thumbnail, format: format)
        try ImageFile.write(encoded, to: outputDirectory + "/" + name)
        return Thumbnail(name: name, sourceWidth: image.width, sourceHeight: image.height,
                         width: thumbnail.width, height: thumbnail.height, checksum: crc32(of: encoded),
                         inputBytes: bytes.count, outputBytes: encoded.count)
    }

    /// zlib's CRC-32.
    public static func crc32(of bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CImageCodecs.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }
}
