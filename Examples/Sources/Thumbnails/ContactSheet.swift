/// A grid of thumbnails on a dark background, each centred in its cell; a file that failed
/// gets a crossed-out cell, so that it shows where it was.
public enum ContactSheet {
    public static func make(_ cells: [Image?], columns: Int, cellWidth: Int = 160, cellHeight: Int = 120,
                            gap: Int = 6) -> Image {
        let columns = max(1, min(columns, cells.count))
        let rows = max(1, (cells.count + columns - 1) / columns)
        let width = columns * cellWidth + (columns + 1) * gap
        let height = rows * cellHeight + (rows + 1) * gap
        var pixels = [UInt8](repeating: 28, count: width * height)
        for (position, cell) in cells.enumerated() {
            let left = gap + (position % columns) * (cellWidth + gap)
            let top = gap + (position / columns) * (cellHeight + gap)
            if let cell {
                let gray = cell.channels == 1 ? cell : ThumbnailPipeline.render(cell)
                let x0 = left + (cellWidth - min(cellWidth, gray.width)) / 2
                let y0 = top + (cellHeight - min(cellHeight, gray.height)) / 2
                for y in 0..<min(cellHeight, gray.height) {
                    for x in 0..<min(cellWidth, gray.width) {
                        pixels[(y0 + y) * width + x0 + x] = gray.pixels[y * gray.width + x]
                    }
                }
            } else {
                for y in 0..<cellHeight {
                    for x in 0..<cellWidth {
                        // Two diagonals, 3 pixels thick, on a mid-gray cell.
                        let onDiagonal = abs(x * cellHeight - y * cellWidth) <= 2 * cellWidth
                            || abs((cellWidth - 1 - x) * cellHeight - y * cellWidth) <= 2 * cellWidth
                        pixels[(top + y) * width + left + x] = onDiagonal ? 200 : 72
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: 1, pixels: pixels)
    }
}
