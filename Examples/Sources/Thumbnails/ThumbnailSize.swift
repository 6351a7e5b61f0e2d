/// The size of a thumbnail: the largest that fits a box with the source's aspect ratio.
public enum ThumbnailSize {
    /// Fits `width` x `height` into `boxWidth` x `boxHeight`, keeping the aspect ratio: the
    /// limiting side takes the box's size, the other is rounded to the nearest pixel (halves
    /// up), and is at least 1. An image that already fits keeps its size: thumbnails never
    /// enlarge.
    public static func fit(width: Int, height: Int, boxWidth: Int, boxHeight: Int) -> (width: Int, height: Int) {
        precondition(width > 0 && height > 0 && boxWidth > 0 && boxHeight > 0, "sizes must be positive")
        if width <= boxWidth && height <= boxHeight { return (width, height) }
        // Compare the ratios in integers: width/height >= boxWidth/boxHeight.
        if width * boxHeight >= height * boxWidth {
            return (boxWidth, max(1, (2 * height * boxWidth + width) / (2 * width)))
        }
        return (max(1, (2 * width * boxHeight + height) / (2 * height)), boxHeight)
    }
}
