/// An 8-bit image in memory: rows of pixels, each of `channels` bytes (1: gray, 3: RGB).
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// `height` rows of `width * channels` bytes, top row first.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && (channels == 1 || channels == 3), "an image needs a size and 1 or 3 channels")
        precondition(pixels.count == width * height * channels, "pixels do not match the size")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image of one color (`color` has `channels` values).
    public init(width: Int, height: Int, color: [UInt8]) {
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * color.count)
        for _ in 0..<(width * height) { pixels.append(contentsOf: color) }
        self.init(width: width, height: height, channels: color.count, pixels: pixels)
    }

    /// The channel values of the pixel at (x, y).
    public subscript(x: Int, y: Int) -> ArraySlice<UInt8> {
        let start = (y * width + x) * channels
        return pixels[start..<(start + channels)]
    }
}
