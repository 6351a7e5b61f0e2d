#if canImport(Glibc)
import Glibc
#endif

/// The pictures of the generated batch: each drawn from the batch's seed and its index, so the
/// batch is the same on every run and machine.
///
/// Sizes run from 64x48 to 2000x1500 (the long side spread evenly on a log scale, eight aspect
/// ratios, portrait and landscape). A picture is a background (linear or radial gradient,
/// smooth noise, waves) under an overlay (shapes, rings, or a page of "text": lines of word
/// blocks), so that a thumbnail looks like something. JPEGs get some grain, as photos have.
enum SyntheticImage {
    /// Changes whenever the pictures (or damaged files) for a given seed change.
    static let version = 2
    static let smallestSide = 48
    static let longestSide = 2000

    struct Spec {
        var width: Int
        var height: Int
        var format: ImageFile.Format
    }

    /// The size and format of picture `index` (cheap: no drawing).
    static func spec(index: Int, seed: UInt64) -> Spec {
        var random = SplitMix(seed: seed &+ UInt64(index) &* 0x2545_F491_4F6C_DD1D)
        let aspects: [(Int, Int)] = [(4, 3), (3, 4), (16, 9), (1, 1), (3, 2), (2, 3), (21, 9), (9, 16)]
        let (across, down) = aspects[random.below(aspects.count)]
        // The long side: 64 to 2000, evenly spread on a log scale.
        let long = Int((64 * pow(Double(longestSide) / 64, random.unit())).rounded())
        var width = across >= down ? long : long * across / down
        var height = across >= down ? long * down / across : long
        // Within 2000x1500 landscape (1500x2000 portrait), and no side under 48.
        let scale = min(1, across >= down ? 1500 / Double(height) : 1500 / Double(width))
        width = max(smallestSide, Int(Double(width) * scale))
        height = max(smallestSide, Int(Double(height) * scale))
        return Spec(width: width, height: height, format: random.below(20) < 13 ? .jpeg : .png)
    }

    /// Draws picture `index`.
    static func draw(index: Int, seed: UInt64) -> (Image, ImageFile.Format) {
        let spec = spec(index: index, seed: seed)
        var random = SplitMix(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15) ^ 0x5EED)
        var canvas = Canvas(width: spec.width, height: spec.height)
        let overlay = random.below(4)
        if overlay == 3 {
            page(&canvas, &random)
        } else {
            background(&canvas, &random)
            if overlay == 1 { shapes(&canvas, &random) }
            if overlay == 2 { rings(&canvas, &random) }
        }
        if spec.format == .jpeg { canvas.grain(4, &random) }
        return (canvas.image, spec.format)
    }

    private static func background(_ canvas: inout Canvas, _ random: inout SplitMix) {
        let ramp = ColorRamp(from: random.color(), to: random.color())
        let width = Double(canvas.width)
        let height = Double(canvas.height)
        switch random.below(4) {
        case 0:
            let angle = random.unit() * 2 * Double.pi
            let (dx, dy) = (cos(angle), sin(angle))
            let span = abs(dx) * width + abs(dy) * height
            let origin = min(0, dx * width) + min(0, dy * height)
            canvas.fill(ramp) { x, y in (Double(x) * dx + Double(y) * dy - origin) / span }
        case 1:
            let (cx, cy) = (random.unit() * width, random.unit() * height)
            let radius = (0.3 + random.unit()) * max(width, height)
            canvas.fill(ramp) { x, y in
                ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot() / radius
            }
        case 2:
            let noise = ValueNoise(cells: 2 + random.below(7), random: &random)
            canvas.fill(ramp) { x, y in noise.value(Double(x) / width, Double(y) / height) }
        default:
            // Waves: a sine along one direction, from a table of one period.
            let period = Double(8 + random.below(40)) * max(width, height) / 500
            let angle = random.unit() * Double.pi
            let (dx, dy) = (cos(angle) / period, sin(angle) / period)
            let wave = (0..<256).map { 0.5 + 0.5 * sin(Double($0) / 256 * 2 * Double.pi) }
            canvas.fill(ramp) { x, y in
                let phase = Double(x) * dx + Double(y) * dy
                return wave[Int((phase - phase.rounded(.down)) * 256) & 255]
            }
        }
    }

    private static func shapes(_ canvas: inout Canvas, _ random: inout SplitMix) {
        let scale = max(canvas.width, canvas.height)
        for _ in 0..<(3 + random.below(14)) {
            let x = random.below(canvas.width)
            let y = random.below(canvas.height)
            let size = max(2, scale * (4 + random.below(24)) / 100)
            if random.below(2) == 0 {
                canvas.circle(centerX: x, centerY: y, radius: size / 2, random.color())
            } else {
                canvas.rectangle(x: x - size / 2, y: y - size / 3, width: size, height: size * 2 / 3, random.color())
            }
        }
    }

    private static func rings(_ canvas: inout Canvas, _ random: inout SplitMix) {
        let scale = max(canvas.width, canvas.height)
        let (cx, cy) = (random.below(canvas.width), random.below(canvas.height))
        let color = random.color()
        let step = max(3, scale / (8 + random.below(12)))
        var radius = step
        while radius < scale {
            canvas.circle(centerX: cx, centerY: cy, radius: radius, color, ring: max(1, step / 3))
            radius += step
        }
    }

    /// A page of text seen from afar: a paper background, a title, and lines of dark word blocks.
    private static func page(_ canvas: inout Canvas, _ random: inout SplitMix) {
        let paper = RGB(UInt8(230 + random.below(26)), UInt8(225 + random.below(31)), UInt8(210 + random.below(46)))
        let ink = RGB(UInt8(random.below(60)), UInt8(random.below(60)), UInt8(random.below(80)))
        canvas.fill { _, _ in paper }
        let margin = max(2, canvas.width / 12)
        let line = max(3, canvas.height / (18 + random.below(22)))
        var y = margin
        // The title: a few big blocks.
        var x = margin
        for _ in 0..<(1 + random.below(4)) where x < canvas.width - margin {
            let word = line * (2 + random.below(5))
            canvas.rectangle(x: x, y: y, width: min(word, canvas.width - margin - x), height: line * 3 / 2, ink)
            x += word + line
        }
        y += line * 3
        while y < canvas.height - margin - line {
            x = margin + (random.below(6) == 0 ? line * 2 : 0)  // an indented first line
            let lineEnd = random.below(5) == 0 ? canvas.width / 2 : canvas.width - margin  // a paragraph's last line
            while x < lineEnd {
                let word = max(2, line * (1 + random.below(6)) / 2)
                canvas.rectangle(x: x, y: y, width: min(word, lineEnd - x), height: max(1, line * 3 / 5), ink)
                x += word + max(1, line / 2)
            }
            y += line + (lineEnd < canvas.width - margin ? line : 0)
        }
    }
}

/// Smooth noise: random values on a coarse grid, interpolated with a smoothstep.
struct ValueNoise {
    private let cells: Int
    private let values: [Double]

    init(cells: Int, random: inout SplitMix) {
        self.cells = cells
        values = (0..<((cells + 1) * (cells + 1))).map { _ in random.unit() }
    }

    /// The noise at (u, v) in 0...1 x 0...1, in 0...1.
    func value(_ u: Double, _ v: Double) -> Double {
        let x = u * Double(cells)
        let y = v * Double(cells)
        let column = min(cells - 1, Int(x))
        let row = min(cells - 1, Int(y))
        let fx = smooth(x - Double(column))
        let fy = smooth(y - Double(row))
        let top = values[row * (cells + 1) + column] * (1 - fx) + values[row * (cells + 1) + column + 1] * fx
        let bottom = values[(row + 1) * (cells + 1) + column] * (1 - fx) + values[(row + 1) * (cells + 1) + column + 1] * fx
        return top * (1 - fy) + bottom * fy
    }

    private func smooth(_ t: Double) -> Double { t * t * (3 - 2 * t) }
}
