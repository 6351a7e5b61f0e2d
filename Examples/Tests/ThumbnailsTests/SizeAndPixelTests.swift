import Testing
@testable import Thumbnails

/// Thumbnail sizes, and pixel values on inputs whose answer is known.
@Suite struct SizeAndPixelTests {
    @Test(arguments: [
        (2000, 1500, 160, 120), (1500, 2000, 90, 120), (64, 48, 64, 48), (160, 120, 160, 120),
        (1000, 10, 160, 2), (10_000, 10, 160, 1), (10, 10_000, 1, 120), (333, 250, 160, 120),
        (1001, 750, 160, 120), (300, 120, 160, 64), (200, 119, 160, 95), (161, 10, 160, 10),
    ])
    func fitKeepsTheAspectRatioAndRounds(width: Int, height: Int, expectedWidth: Int, expectedHeight: Int) {
        let size = ThumbnailSize.fit(width: width, height: height, boxWidth: 160, boxHeight: 120)
        #expect(size.width == expectedWidth && size.height == expectedHeight, "\(width)x\(height)")
    }

    @Test func grayscaleUsesBT601Weights() {
        #expect(GrayPlane(luma: Image(width: 1, height: 1, color: [255, 0, 0])).quantized().pixels == [76])
        #expect(GrayPlane(luma: Image(width: 1, height: 1, color: [0, 255, 0])).quantized().pixels == [150])
        #expect(GrayPlane(luma: Image(width: 1, height: 1, color: [0, 0, 255])).quantized().pixels == [29])
        #expect(GrayPlane(luma: Image(width: 1, height: 1, color: [255, 255, 255])).quantized().pixels == [255])
    }

    @Test func aSolidColorStaysThatColor() {
        // 0.299 * 200 + 0.587 * 100 + 0.114 * 50 = 124.2
        let thumbnail = ThumbnailPipeline.render(Image(width: 997, height: 513, color: [200, 100, 50]))
        #expect(thumbnail.width == 160 && thumbnail.height == 82 && thumbnail.channels == 1)
        #expect(thumbnail.pixels.allSatisfy { $0 == 124 })
    }

    @Test func areaAveragingWeighsPartlyCoveredPixels() {
        // 4 -> 2: pairs. 3 -> 2: [v0 + v1/2, v1/2 + v2] / 1.5.
        let four = AreaResize.resize(GrayPlane(width: 4, height: 1, samples: [0, 10, 20, 30]), width: 2, height: 1)
        #expect(four.samples == [5, 25])
        let three = AreaResize.resize(GrayPlane(width: 3, height: 1, samples: [0, 30, 60]), width: 2, height: 1)
        #expect(three.samples.map { $0.rounded() } == [10, 50])
        let square = AreaResize.resize(GrayPlane(width: 2, height: 2, samples: [0, 100, 200, 40]), width: 1, height: 1)
        #expect(square.samples == [85])
    }

    @Test func shrinkingWhileTakingLumaEqualsLumaThenShrinking() {
        var pixels = [UInt8]()
        var state: UInt32 = 12345
        for _ in 0..<(301 * 203 * 3) {
            state = state &* 1_103_515_245 &+ 12345
            pixels.append(UInt8(truncatingIfNeeded: state >> 16))
        }
        let image = Image(width: 301, height: 203, channels: 3, pixels: pixels)
        let fused = AreaResize.resizeLuma(image, width: 160, height: 108)
        let apart = AreaResize.resize(GrayPlane(luma: image), width: 160, height: 108)
        #expect(fused == apart)
    }

    @Test func blurKeepsAFlatImageFlatAndALinearRampLinear() {
        let kernel = GaussianBlur.kernel(sigma: 1)
        #expect(kernel.count == 7 && abs(kernel.reduce(0, +) - 1) < 1e-6 && kernel[3] > kernel[2])
        let flat = GaussianBlur.apply(GrayPlane(width: 9, height: 5, samples: .init(repeating: 77, count: 45)), sigma: 1)
        #expect(flat.samples.allSatisfy { abs($0 - 77) < 1e-4 })
        // Inside (3 or more pixels from the edges) a symmetric kernel leaves a ramp unchanged.
        let ramp = GaussianBlur.apply(GrayPlane(width: 20, height: 1, samples: (0..<20).map { Float($0 * 10) }), sigma: 1)
        #expect((3..<17).allSatisfy { abs(ramp[$0, 0] - Float($0 * 10)) < 1e-3 })
        // At the edge the border repeats, pulling the first pixel up.
        #expect(ramp[0, 0] > 0)
    }

    @Test func aHorizontalGradientGivesKnownValues() {
        // 320x240 gray ramp: value = x * 255 / 319. Halving averages columns 2x and 2x+1; the
        // blur leaves the (linear) inside alone.
        var pixels = [UInt8]()
        for _ in 0..<240 { for x in 0..<320 { pixels += [UInt8]( repeating: UInt8((x * 255 + 159) / 319), count: 3) } }
        let thumbnail = ThumbnailPipeline.render(Image(width: 320, height: 240, channels: 3, pixels: pixels))
        #expect(thumbnail.width == 160 && thumbnail.height == 120)
        for x in [10, 40, 80, 120, 149] {
            let expected = (Double((2 * x * 255 + 159) / 319) + Double(((2 * x + 1) * 255 + 159) / 319)) / 2
            #expect(abs(Double(thumbnail[x, 60].first!) - expected) <= 1, "column \(x)")
        }
        // Every row is the same.
        #expect((0..<120).allSatisfy { thumbnail[80, $0] == thumbnail[80, 0] })
    }
}
