/// A color.
struct RGB {
    var red: UInt8
    var green: UInt8
    var blue: UInt8

    init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// `self` at t = 0, `other` at t = 1.
    func mixed(with other: RGB, _ t: Double) -> RGB {
        func channel(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8(max(0, min(255, (Double(a) + (Double(b) - Double(a)) * t).rounded())))
        }
        return RGB(channel(red, other.red), channel(green, other.green), channel(blue, other.blue))
    }
}

/// The colors from one to another in 1024 steps, mixed once.
struct ColorRamp {
    static let steps = 1024
    let colors: [UInt8]

    init(from: RGB, to: RGB) {
        colors = (0..<Self.steps).flatMap { step -> [UInt8] in
            let color = from.mixed(with: to, Double(step) / Double(Self.steps - 1))
            return [color.red, color.green, color.blue]
        }
    }
}

/// An RGB image being drawn: backgrounds pixel by pixel, shapes by their bounding boxes.
struct Canvas {
    let width: Int
    let height: Int
    private(set) var pixels: [UInt8]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
    }

    var image: Image { Image(width: width, height: height, channels: 3, pixels: pixels) }

    /// Sets every pixel to `color(x, y)`.
    mutating func fill(_ color: (Int, Int) -> RGB) {
        let width = width
        pixels.withUnsafeMutableBufferPointer { pixels in
            for y in 0..<height {
                for x in 0..<width {
                    let value = color(x, y)
                    let index = (y * width + x) * 3
                    pixels[index] = value.red
                    pixels[index + 1] = value.green
                    pixels[index + 2] = value.blue
                }
            }
        }
    }

    /// Paints `color` where `inside(x, y)` holds, within the clipped box.
    mutating func paint(x: ClosedRange<Int>, y: ClosedRange<Int>, _ color: RGB, where inside: (Int, Int) -> Bool) {
        let left = max(0, x.lowerBound), right = min(width - 1, x.upperBound)
        let top = max(0, y.lowerBound), bottom = min(height - 1, y.upperBound)
        guard left <= right, top <= bottom else { return }  // wholly outside
        let width = width
        pixels.withUnsafeMutableBufferPointer { pixels in
            for row in top...bottom {
                for column in left...right where inside(column, row) {
                    let index = (row * width + column) * 3
                    pixels[index] = color.red
                    pixels[index + 1] = color.green
                    pixels[index + 2] = color.blue
                }
            }
        }
    }

    mutating func rectangle(x: Int, y: Int, width: Int, height: Int, _ color: RGB) {
        guard width > 0, height > 0 else { return }
        paint(x: x...(x + width - 1), y: y...(y + height - 1), color) { _, _ in true }
    }

    mutating func circle(centerX: Int, centerY: Int, radius: Int, _ color: RGB, ring: Int = 0) {
        let outer = radius * radius
        let inner = ring > 0 ? max(0, radius - ring) * max(0, radius - ring) : -1
        paint(x: (centerX - radius)...(centerX + radius), y: (centerY - radius)...(centerY + radius), color) { x, y in
            let distance = (x - centerX) * (x - centerX) + (y - centerY) * (y - centerY)
            return distance <= outer && distance > inner
        }
    }

    /// Sets every pixel to the color of `ramp` at `position(x, y)` (0...1): a gradient
    /// without mixing colors per pixel.
    mutating func fill(_ ramp: ColorRamp, _ position: (Int, Int) -> Double) {
        let width = width
        let scale = Double(ColorRamp.steps - 1)
        ramp.colors.withUnsafeBufferPointer { colors in
            pixels.withUnsafeMutableBufferPointer { pixels in
                for y in 0..<height {
                    for x in 0..<width {
                        let step = Int(max(0, min(1, position(x, y))) * scale + 0.5)
                        let index = (y * width + x) * 3
                        pixels[index] = colors[3 * step]
                        pixels[index + 1] = colors[3 * step + 1]
                        pixels[index + 2] = colors[3 * step + 2]
                    }
                }
            }
        }
    }

    /// Adds noise of about +-`amount` (a power of two) to every channel: film grain, sensor noise.
    mutating func grain(_ amount: Int, _ random: inout SplitMix) {
        let mask = UInt64(2 * amount - 1)
        pixels.withUnsafeMutableBufferPointer { pixels in
            var bits: UInt64 = 0
            for index in pixels.indices {
                // Eight channels' noise from each random number.
                if index & 7 == 0 { bits = random.next() }
                let noise = Int((bits >> UInt64((index & 7) * 8)) & mask) - amount
                pixels[index] = UInt8(max(0, min(255, Int(pixels[index]) + noise)))
            }
        }
    }
}
