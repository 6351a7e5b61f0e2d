/// One message on a worker's channel: a little-endian `UInt32` length (of what follows), a kind
/// byte, and the body. The length is checked against a cap before anything is allocated.
struct Frame: Sendable {
    var kind: FrameKind
    var body: [UInt8]

    static let headerSize = 5
    /// The protocol both sides must speak; the handshake refuses any other.
    static let protocolVersion: UInt16 = 1
    /// Default cap on one frame's size: a corrupt length cannot make either side allocate more.
    static let defaultMaxSize = 1 << 30

    /// The frame's header, to be written before `body`.
    static func header(kind: FrameKind, bodyCount: Int) -> [UInt8] {
        var writer = ByteWriter(capacity: headerSize)
        writer.write(UInt32(bodyCount + 1))
        writer.write(kind.rawValue)
        return writer.finish()
    }

    /// Header and body in one buffer.
    func encoded() -> [UInt8] {
        var bytes = Frame.header(kind: kind, bodyCount: body.count)
        bytes.append(contentsOf: body)
        return bytes
    }
}

enum FrameKind: UInt8, Sendable {
    // Parent to worker.
    case defineJob = 1
    case forgetJob = 2
    case runChunk = 3
    case runTarget = 4
    case cancel = 5
    case shutdown = 6
    // Worker to parent.
    case hello = 64
    case results = 65
    case dropped = 66
    case fatal = 67
}

/// Cuts a byte stream into frames. Bytes go in as they arrive; whole frames come out.
///
/// It keeps its bytes in memory it manages itself, so that receiving costs a `recv` and a copy
/// per frame whatever the build (element-wise array growth is slow in debug builds, and this
/// runs on the reactor thread for every worker).
final class FrameParser {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    let maxFrameSize: Int

    init(maxFrameSize: Int = Frame.defaultMaxSize) {
        self.maxFrameSize = maxFrameSize
        capacity = 64 * 1024
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        storage.deallocate()
    }

    var bufferedCount: Int { end - start }

    /// Lets `fill` write up to `capacity` bytes after what is buffered; it returns how many it wrote.
    @discardableResult
    func append(capacity wanted: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        makeRoom(for: wanted)
        let written = fill(UnsafeMutableRawBufferPointer(start: storage + end, count: wanted))
        end += min(max(written, 0), wanted)
        return written
    }

    func append(_ bytes: some Collection<UInt8>) {
        makeRoom(for: bytes.count)
        UnsafeMutableRawBufferPointer(start: storage + end, count: bytes.count).copyBytes(from: bytes)
        end += bytes.count
    }

    private func makeRoom(for count: Int) {
        if start == end {
            start = 0
            end = 0
        }
        if end + count <= capacity { return }
        let buffered = end - start
        if buffered + count <= capacity, start > 0 {
            storage.copyMemory(from: storage + start, byteCount: buffered)
        } else {
            var newCapacity = capacity
            while newCapacity < buffered + count { newCapacity *= 2 }
            let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
            grown.copyMemory(from: storage + start, byteCount: buffered)
            storage.deallocate()
            storage = grown
            capacity = newCapacity
        }
        start = 0
        end = buffered
    }

    /// How many bytes the frame being received still needs (at least 1 when one is partial),
    /// so that a reader can size its next read to take a big frame in one go.
    var bytesWanted: Int {
        let available = end - start
        guard available >= 4 else { return 4 - available }
        return max(0, 4 + Int(peekLength()) - available)
    }

    private func peekLength() -> UInt32 {
        UInt32(littleEndian: storage.loadUnaligned(fromByteOffset: start, as: UInt32.self))
    }

    /// The next whole frame, nil when more bytes are needed.
    func next() throws(WireError) -> Frame? {
        let available = end - start
        guard available >= 4 else { return nil }
        let length = Int(peekLength())
        guard length >= 1 else { throw WireError.malformed("frame of length 0") }
        guard length <= maxFrameSize else {
            throw WireError.lengthTooLarge(claimed: UInt64(length), limit: maxFrameSize)
        }
        guard available >= 4 + length else { return nil }
        let kindByte = storage.load(fromByteOffset: start + 4, as: UInt8.self)
        guard let kind = FrameKind(rawValue: kindByte) else {
            throw WireError.unexpectedByte(kindByte, context: "a frame's kind")
        }
        let body = [UInt8](UnsafeRawBufferPointer(start: storage + start + 5, count: length - 1))
        start += 4 + length
        if start == end {
            start = 0
            end = 0
            // A big frame's buffer is not kept around after it.
            if capacity > 4 << 20 { shrink() }
        }
        return Frame(kind: kind, body: body)
    }

    private func shrink() {
        storage.deallocate()
        capacity = 64 * 1024
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }
}
