/// Downscaling by area averaging: each output pixel is the mean of the source area it covers,
/// source pixels cut by the area's edges counting by the fraction covered. This is the box
/// filter done right for any ratio (a plain "average each k x k block" is only right when the
/// ratio is a whole number), and it does not alias the way sampling or bilinear do when
/// shrinking 10 times. Separable: rows first, then columns of the narrower result.
public enum AreaResize {
    /// The source span and weights of each output position along one axis.
    struct Taps {
        /// First source index of output i: `first[i]`; its weights: `weights[offsets[i]..<offsets[i+1]]`.
        var first: [Int] = []
        var offsets: [Int] = [0]
        var weights: [Float] = []

        init(source: Int, target: Int) {
            precondition(target >= 1 && target <= source, "area averaging only shrinks")
            let scale = Double(source) / Double(target)
            for index in 0..<target {
                let start = Double(index) * scale
                let end = Double(index + 1) * scale
                let low = Int(start.rounded(.down))
                let high = min(source, Int(end.rounded(.up)))
                first.append(low)
                for sourceIndex in low..<high {
                    let covered = min(end, Double(sourceIndex + 1)) - max(start, Double(sourceIndex))
                    weights.append(Float(covered / scale))
                }
                offsets.append(weights.count)
            }
        }
    }

    public static func resize(_ plane: GrayPlane, width: Int, height: Int) -> GrayPlane {
        if width == plane.width && height == plane.height { return plane }
        let taps = Taps(source: plane.width, target: width)
        let rows = plane.samples.withUnsafeBufferPointer { source in
            shrinkRows(count: plane.height, sourceWidth: plane.width, width: width, taps: taps) { row, line in
                for x in 0..<plane.width { line[x] = source[row * plane.width + x] }
            }
        }
        return shrinkColumns(rows, width: width, sourceHeight: plane.height, height: height)
    }

    /// The luma of `image` (see ``GrayPlane/init(luma:)``), shrunk: the same as
    /// `resize(GrayPlane(luma: image), ...)`, without making the full-size plane (megabytes of
    /// floats written once and read once): the luma is taken one row at a time.
    public static func resizeLuma(_ image: Image, width: Int, height: Int) -> GrayPlane {
        if width == image.width && height == image.height { return GrayPlane(luma: image) }
        let taps = Taps(source: image.width, target: width)
        let rows = image.pixels.withUnsafeBufferPointer { pixels in
            shrinkRows(count: image.height, sourceWidth: image.width, width: width, taps: taps) { row, line in
                let start = row * image.width * image.channels
                if image.channels == 1 {
                    for x in 0..<image.width { line[x] = Float(pixels[start + x]) }
                } else {
                    for x in 0..<image.width {
                        line[x] = GrayPlane.luma(pixels[start + 3 * x], pixels[start + 3 * x + 1], pixels[start + 3 * x + 2])
                    }
                }
            }
        }
        return shrinkColumns(rows, width: width, sourceHeight: image.height, height: height)
    }

    /// Every row shrunk to `width` samples: `fill(row, line)` writes source row `row` into
    /// `line` (`sourceWidth` samples), which the taps then read. Two simple loops per row, each
    /// of which the compiler vectorizes or keeps tight.
    @inline(__always)
    private static func shrinkRows(count: Int, sourceWidth: Int, width: Int, taps: Taps,
                                   _ fill: (Int, UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        var rows = [Float](repeating: 0, count: width * count)
        var line = [Float](repeating: 0, count: sourceWidth)
        line.withUnsafeMutableBufferPointer { line in
            rows.withUnsafeMutableBufferPointer { out in
                taps.first.withUnsafeBufferPointer { first in
                    taps.offsets.withUnsafeBufferPointer { offsets in
                        taps.weights.withUnsafeBufferPointer { weights in
                            for row in 0..<count {
                                fill(row, line)
                                for x in 0..<width {
                                    var sum: Float = 0
                                    var column = first[x]
                                    for tap in offsets[x]..<offsets[x + 1] {
                                        sum += weights[tap] * line[column]
                                        column += 1
                                    }
                                    out[row * width + x] = sum
                                }
                            }
                        }
                    }
                }
            }
        }
        return rows
    }

    /// The columns of `rows` (`sourceHeight` rows of `width`) shrunk to `height`: each output
    /// row a weighted sum of whole source rows, which reads memory in order.
    private static func shrinkColumns(_ rows: [Float], width: Int, sourceHeight: Int, height: Int) -> GrayPlane {
        let taps = Taps(source: sourceHeight, target: height)
        var result = [Float](repeating: 0, count: width * height)
        rows.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    var sourceRow = taps.first[y]
                    for tap in taps.offsets[y]..<taps.offsets[y + 1] {
                        let weight = taps.weights[tap]
                        for x in 0..<width { out[y * width + x] += weight * source[sourceRow * width + x] }
                        sourceRow += 1
                    }
                }
            }
        }
        return GrayPlane(width: width, height: height, samples: result)
    }
}
