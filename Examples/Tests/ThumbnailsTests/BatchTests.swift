import Foundation
import Multiprocessing
import Testing
@testable import Thumbnails

/// A small batch through a real pool: the damaged file fails alone, with the decoder's message.
@Suite struct BatchTests {
    @Test(.timeLimit(.minutes(1)))
    func aPoolMakesEveryThumbnailButTheDamagedOne() async throws {
        let directory = NSTemporaryDirectory() + "thumbnails-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/out"
        try ImageFile.makeDirectories(output)
        var files: [String] = []
        var expected: [String: (Int, Int)] = [:]
        for index in 0..<8 {
            let width = 40 + 73 * index, height = 300 - 29 * index
            var canvas = Canvas(width: width, height: height)
            canvas.fill { x, y in RGB(UInt8(x % 256), UInt8(y % 256), 90) }
            let format: ImageFile.Format = index % 2 == 0 ? .png : .jpeg
            let path = "\(directory)/picture-\(index).\(format.fileExtension)"
            try ImageFile.write(try ImageFile.encode(canvas.image, format: format), to: path)
            files.append(path)
            let size = ThumbnailSize.fit(width: width, height: height, boxWidth: 160, boxHeight: 120)
            expected[path] = (size.width, size.height)
        }
        let damaged = "\(directory)/damaged.png"
        try ImageFile.write(try CorruptFile.badChecksumPNG.bytes(seed: 2), to: damaged)
        files.insert(damaged, at: 3)

        let results = try await withProcessPool(workers: 2) { pool in
            try await pool.mapResults(MakeThumbnail(outputDirectory: output), files, chunkSize: 1)
        }
        #expect(results.count == files.count)
        for (file, result) in zip(files, results) {
            switch result {
            case let .success(thumbnail):
                #expect(file != damaged)
                #expect(thumbnail.width == expected[file]?.0 && thumbnail.height == expected[file]?.1)
                let written = try ImageFile.read(output + "/" + thumbnail.name)
                #expect(ThumbnailPipeline.crc32(of: written) == thumbnail.checksum)
            case let .failure(failure):
                #expect(file == damaged)
                #expect(failure.index == 3)
                #expect(failure.reason == .threw(errorType: "Thumbnails.CodecError", message: "libpng: IDAT: CRC error"))
            }
        }
        #expect(results.filter { (try? $0.get()) != nil }.count == files.count - 1)
    }

    @Test func theGeneratedBatchIsDeterministicAndVaried() {
        let specs = (0..<500).map { SyntheticImage.spec(index: $0, seed: 7) }
        #expect(specs.map(\.width) == (0..<500).map { SyntheticImage.spec(index: $0, seed: 7).width })
        #expect(specs.allSatisfy { $0.width >= 48 && $0.height >= 48 && $0.width <= 2000 && $0.height <= 2000 })
        #expect(specs.allSatisfy { $0.width * $0.height <= 2000 * 1500 })
        #expect(specs.contains { $0.width < 100 } && specs.contains { $0.width >= 1500 })
        #expect(specs.contains { $0.format == .png } && specs.contains { $0.format == .jpeg })
        let (first, _) = SyntheticImage.draw(index: 12, seed: 7)
        let (again, _) = SyntheticImage.draw(index: 12, seed: 7)
        #expect(first == again)
    }

    @Test func damagedFilesHaveDistinctPlacesInBatchesOfAnySize() {
        for total in [5, 6, 7, 12, 505, 2005] {
            let indices = ImageBatch.corruptIndices(total: total)
            #expect(Set(indices).count == CorruptFile.allCases.count && indices.allSatisfy { $0 < total }, "\(total)")
        }
        #expect(ImageBatch.corruptIndices(total: 505) == [3, 104, 205, 306, 407])
    }

    @Test func theContactSheetIsAGridWithCrossedOutFailures() {
        let cells: [Image?] = [Image(width: 160, height: 120, color: [255]), nil, Image(width: 10, height: 20, color: [0])]
        let sheet = ContactSheet.make(cells, columns: 2, cellWidth: 160, cellHeight: 120, gap: 6)
        #expect(sheet.width == 2 * 160 + 3 * 6 && sheet.height == 2 * 120 + 3 * 6)
        #expect(sheet[6 + 80, 6 + 60].first == 255)  // first cell: white
        #expect(sheet[172 + 2, 6 + 60].first == 72)  // second cell: crossed out
        #expect(sheet[6 + 80, 132 + 60].first == 0)  // third: the small one, centred
        #expect(sheet[6 + 10, 132 + 10].first == 28)  // background around it
    }
}
