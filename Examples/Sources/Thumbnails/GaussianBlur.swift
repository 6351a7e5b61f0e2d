#if canImport(Glibc)
import Glibc
#endif

/// A Gaussian blur, as two one-dimensional passes (rows, then columns): 2(2r+1) taps per
/// pixel instead of (2r+1)^2. Edges repeat the border pixel, so a flat image stays flat.
public enum GaussianBlur {
    /// The normalized kernel of radius ceil(3 sigma): weights sum to 1.
    public static func kernel(sigma: Float) -> [Float] {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        let weights = (-radius...radius).map { offset in
            Float(exp(-Double(offset * offset) / (2 * Double(sigma) * Double(sigma))))
        }
        let sum = weights.reduce(0, +)
        return weights.map { $0 / sum }
    }

    public static func apply(_ plane: GrayPlane, sigma: Float) -> GrayPlane {
        guard sigma > 0 else { return plane }
        let kernel = kernel(sigma: sigma)
        let radius = kernel.count / 2
        let (width, height) = (plane.width, plane.height)
        var rows = [Float](repeating: 0, count: plane.samples.count)
        var result = [Float](repeating: 0, count: plane.samples.count)
        // A row padded with copies of its end pixels: the taps need no bounds in the loop.
        var line = [Float](repeating: 0, count: width + 2 * radius)
        kernel.withUnsafeBufferPointer { kernel in
            plane.samples.withUnsafeBufferPointer { source in
                rows.withUnsafeMutableBufferPointer { rows in
                    line.withUnsafeMutableBufferPointer { line in
                        for y in 0..<height {
                            let start = y * width
                            for x in 0..<line.count { line[x] = source[start + min(max(x - radius, 0), width - 1)] }
                            for x in 0..<width {
                                var sum: Float = 0
                                for tap in 0..<kernel.count { sum += kernel[tap] * line[x + tap] }
                                rows[start + x] = sum
                            }
                        }
                    }
                    // Columns: whole rows at a time, the clamped source row chosen once per tap.
                    result.withUnsafeMutableBufferPointer { out in
                        for y in 0..<height {
                            for tap in 0..<kernel.count {
                                let sourceRow = min(max(y + tap - radius, 0), height - 1)
                                let weight = kernel[tap]
                                for x in 0..<width { out[y * width + x] += weight * rows[sourceRow * width + x] }
                            }
                        }
                    }
                }
            }
        }
        return GrayPlane(width: width, height: height, samples: result)
    }
}
