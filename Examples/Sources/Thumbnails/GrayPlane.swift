/// One channel of floating-point samples: the working form between decoding and encoding, so
/// that resizing and blurring round only once, at the end.
public struct GrayPlane: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var samples: [Float]

    public init(width: Int, height: Int, samples: [Float]) {
        precondition(samples.count == width * height, "samples do not match the size")
        self.width = width
        self.height = height
        self.samples = samples
    }

    public subscript(x: Int, y: Int) -> Float { samples[y * width + x] }

    /// Luma of an 8-bit image, with ITU-R BT.601's weights (0.299 R + 0.587 G + 0.114 B), the
    /// ones JPEG's YCbCr, PIL's `convert("L")` and most tools use; computed on the stored
    /// (gamma-encoded) values, as they do.
    public init(luma image: Image) {
        let count = image.width * image.height
        var samples = [Float](repeating: 0, count: count)
        image.pixels.withUnsafeBufferPointer { pixels in
            samples.withUnsafeMutableBufferPointer { out in
                if image.channels == 1 {
                    for index in 0..<count { out[index] = Float(pixels[index]) }
                } else {
                    for index in 0..<count {
                        out[index] = Self.luma(pixels[3 * index], pixels[3 * index + 1], pixels[3 * index + 2])
                    }
                }
            }
        }
        self.init(width: image.width, height: image.height, samples: samples)
    }

    @inline(__always)
    static func luma(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> Float {
        0.299 * Float(red) + 0.587 * Float(green) + 0.114 * Float(blue)
    }

    /// The 8-bit gray image: samples rounded to the nearest integer and clamped to 0...255.
    public func quantized() -> Image {
        let pixels = samples.map { UInt8(min(max($0.rounded(), 0), 255)) }
        return Image(width: width, height: height, channels: 1, pixels: pixels)
    }
}
