/// Collects one frame (a 4-byte little-endian length, then the message) from a pipe's byte
/// stream when it arrives in pieces: a message larger than the ring, or one whose receiver was
/// cancelled halfway. The pieces stay here between calls, so the stream stays in step.
struct FrameAssembler {
    private var header: UInt32 = 0
    private var headerBytes = 0
    private var body: [UInt8] = []
    private var bodyBytes = 0

    /// Whether part of a frame has been read.
    var hasPartialFrame: Bool { headerBytes > 0 }

    /// Reads what has arrived; returns the frame once it is complete.
    mutating func take(from ring: ByteStreamRing) -> [UInt8]? {
        if headerBytes == 0, let frame = ring.readFrame() { return frame }
        while headerBytes < 4 {
            let read = withUnsafeMutableBytes(of: &header) { bytes in
                ring.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[headerBytes...]))
            }
            guard read > 0 else { return nil }
            headerBytes += read
            if headerBytes == 4 {
                body = [UInt8](repeating: 0, count: Int(UInt32(littleEndian: header)))
                bodyBytes = 0
            }
        }
        while bodyBytes < body.count {
            let read = body.withUnsafeMutableBytes { bytes in
                ring.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[bodyBytes...]))
            }
            guard read > 0 else { return nil }
            bodyBytes += read
        }
        let frame = body
        body = []
        headerBytes = 0
        bodyBytes = 0
        return frame
    }
}
