#if canImport(Glibc)
import Glibc
#endif

/// Frames waiting to be written to a channel. Small frames are gathered into one buffer; a
/// large payload (a chunk of inputs, a piece of outputs) stays where it is and is written from
/// there with `sendmsg`'s scatter list, so its bytes are never copied into the queue.
struct OutgoingQueue {
    private var segments: [Payload] = []
    private var tail: [UInt8] = []
    /// Bytes of `segments[0]` already written.
    private var sentOfFirst = 0
    private(set) var byteCount = 0

    /// Payloads at least this large are written in place.
    static let inPlaceThreshold = 16 * 1024

    var isEmpty: Bool { byteCount == 0 }

    /// Queues a frame; refuses (false, nothing queued) one whose length the field cannot say.
    /// Senders check their configured limit first (``Frame/fits(bodyCount:limit:)``).
    @discardableResult
    mutating func appendFrame(_ kind: FrameKind, _ parts: [UInt8]...) -> Bool {
        let bodyCount = parts.reduce(0) { $0 + $1.count }
        guard Frame.fits(bodyCount: bodyCount, limit: Frame.largestMaxSize) else { return false }
        appendHeader(kind, bodyCount: bodyCount)
        for part in parts { tail.append(contentsOf: part) }
        byteCount += bodyCount
        return true
    }

    @discardableResult
    mutating func appendFrame(_ kind: FrameKind, _ head: [UInt8], _ payload: Payload) -> Bool {
        guard Frame.fits(bodyCount: head.count + payload.count, limit: Frame.largestMaxSize) else { return false }
        appendHeader(kind, bodyCount: head.count + payload.count)
        tail.append(contentsOf: head)
        byteCount += head.count + payload.count
        if payload.count >= Self.inPlaceThreshold {
            sealTail()
            segments.append(payload)
        } else {
            tail.append(contentsOf: payload.storage[payload.start...])
        }
        return true
    }

    private mutating func appendHeader(_ kind: FrameKind, bodyCount: Int) {
        withUnsafeBytes(of: UInt32(bodyCount + 1).littleEndian) { tail.append(contentsOf: $0) }
        tail.append(kind.rawValue)
        byteCount += Frame.headerSize
    }

    private mutating func sealTail() {
        guard !tail.isEmpty else { return }
        segments.append(Payload(tail))
        tail = []
        tail.reserveCapacity(4096)
    }

    mutating func removeAll() {
        segments.removeAll()
        tail.removeAll()
        sentOfFirst = 0
        byteCount = 0
    }

    enum WriteOutcome { case done, wouldBlock, closed }

    /// Writes what it can; with `blocking`, everything (or until the peer is gone).
    mutating func write(to fd: Int32, blocking: Bool) -> WriteOutcome {
        sealTail()
        let flags = Int32(MSG_NOSIGNAL) | (blocking ? 0 : Int32(MSG_DONTWAIT))
        while !segments.isEmpty {
            let batch = segments.prefix(64)
            let written = Self.withIOVectors(batch, skippingFirst: sentOfFirst) { vectors in
                vectors.withUnsafeMutableBufferPointer { buffer -> Int in
                    var message = msghdr()
                    message.msg_iov = buffer.baseAddress
                    message.msg_iovlen = buffer.count
                    return sendmsg(fd, &message, flags)
                }
            }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock }
                return .closed
            }
            consume(written)
        }
        return .done
    }

    private mutating func consume(_ written: Int) {
        var remaining = written
        byteCount -= written
        while remaining > 0, let first = segments.first {
            let left = first.count - sentOfFirst
            if remaining >= left {
                remaining -= left
                segments.removeFirst()
                sentOfFirst = 0
            } else {
                sentOfFirst += remaining
                remaining = 0
            }
        }
    }

    /// Calls `body` with one `iovec` per segment, each pointing into its segment's storage,
    /// which stays valid for the call because each segment's bytes are borrowed in turn.
    private static func withIOVectors<R>(_ segments: ArraySlice<Payload>, skippingFirst: Int,
                                         _ body: (inout [iovec]) -> R) -> R {
        var vectors: [iovec] = []
        vectors.reserveCapacity(segments.count)
        return gather(segments, at: segments.startIndex, skippingFirst: skippingFirst, into: &vectors, body)
    }

    private static func gather<R>(_ segments: ArraySlice<Payload>, at index: Int, skippingFirst: Int,
                                  into vectors: inout [iovec], _ body: (inout [iovec]) -> R) -> R {
        guard index < segments.endIndex else { return body(&vectors) }
        let segment = segments[index]
        let skip = segment.start + (index == segments.startIndex ? skippingFirst : 0)
        return segment.storage.withUnsafeBytes { raw in
            if let base = raw.baseAddress, raw.count > skip {
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: base + skip), iov_len: raw.count - skip))
            }
            return gather(segments, at: index + 1, skippingFirst: skippingFirst, into: &vectors, body)
        }
    }
}
