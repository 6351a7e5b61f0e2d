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

    /// The largest cap a length field can express: a length counts the kind byte too.
    static let largestMaxSize = Int(UInt32.max)

    /// Whether a frame with a body of `bodyCount` bytes is within `limit` (and within what the
    /// length field can say, whatever the limit). Every sender checks before it queues.
    static func fits(bodyCount: Int, limit: Int) -> Bool {
        bodyCount < min(limit, largestMaxSize)
    }

    /// The frame's header, to be written before `body` (which must fit, see ``fits(bodyCount:limit:)``).
    static func header(kind: FrameKind, bodyCount: Int) -> [UInt8] {
        precondition(fits(bodyCount: bodyCount, limit: largestMaxSize), "a frame body of \(bodyCount) bytes")
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
    // Parent to an actor's host (see ActorHost).
    case actorCreate = 7
    case actorCall = 8
    // Worker to parent.
    case hello = 64
    case results = 65
    case dropped = 66
    case fatal = 67
    case actorReply = 68
}

#if canImport(Glibc)
import Glibc
#endif

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
    /// A large frame's body, read straight into its own array (no copy out of the buffer).
    private var largeBody: [UInt8]?
    private var largeFilled = 0
    private var largeKind = FrameKind.results
    static let largeThreshold = 256 * 1024

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

    /// Reads once from `fd` (never blocking): into the buffer, or straight into the body of a
    /// large frame being received. Returns `recv`'s result and how many bytes it asked for
    /// (fewer than asked: the socket is drained for now).
    func receive(from fd: Int32) -> (result: Int, asked: Int) {
        beginLargeFrameIfUseful()
        if largeBody != nil {
            let asked = largeBody!.count - largeFilled
            var result = 0
            largeBody!.withUnsafeMutableBytes { raw in
                result = recv(fd, raw.baseAddress! + largeFilled, asked, Int32(MSG_DONTWAIT))
            }
            if result > 0 { largeFilled += result }
            return (result, asked)
        }
        let asked = max(64 * 1024, bytesWanted)
        var result = 0
        append(capacity: asked) { buffer in
            result = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            return max(result, 0)
        }
        return (result, asked)
    }

    private func beginLargeFrameIfUseful() {
        guard largeBody == nil, end - start >= Frame.headerSize else { return }
        let length = Int(peekLength())
        let bodyCount = length - 1
        let buffered = end - start - Frame.headerSize
        // Small, complete, or malformed (next() reports it): the buffer handles those.
        guard bodyCount >= Self.largeThreshold, length <= maxFrameSize, buffered < bodyCount,
              let kind = FrameKind(rawValue: storage.load(fromByteOffset: start + 4, as: UInt8.self)) else { return }
        var body = [UInt8](repeating: 0, count: bodyCount)
        body.withUnsafeMutableBytes { raw in
            raw.baseAddress!.copyMemory(from: storage + start + Frame.headerSize, byteCount: buffered)
        }
        largeBody = body
        largeFilled = buffered
        largeKind = kind
        start = end
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
        if let body = largeBody {
            guard largeFilled == body.count else { return nil }
            largeBody = nil
            largeFilled = 0
            return Frame(kind: largeKind, body: body)
        }
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
