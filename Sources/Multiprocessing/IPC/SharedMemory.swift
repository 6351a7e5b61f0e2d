/// A block of memory shared by processes: Python's `multiprocessing.shared_memory.SharedMemory`.
///
/// ```swift
/// let memory = try SharedMemory(byteCount: 1 << 20)
/// memory.withUnsafeMutableBytes { $0.storeBytes(of: 42, as: Int.self) }
/// // Put `memory` in a job: the worker sees the same bytes, with no copy.
/// ```
///
/// The memory starts zeroed and stays at the same address for the object's lifetime. It is an
/// anonymous memfd: it has no name, nothing appears in /dev/shm, and the kernel frees it when
/// the last process that maps it releases it or exits, crashed ones included, so there is
/// nothing to `unlink` and nothing to leak (Python's `resource_tracker` warnings do not apply).
///
/// Nothing synchronizes access: guard shared data with a ``ProcessLock``, or use the atomic
/// operations of ``SharedArray``. For typed elements, see ``SharedArray``, which can also view
/// part of a `SharedMemory`.
///
/// **Sharing.** `SharedMemory` is `Codable`: store it in a ``Job`` or ``ProcessTarget``, or send
/// it in a message; decoding it in another process maps the same memory. The process that
/// encoded it (or the one that created it) must still hold it when the other one decodes it.
public final class SharedMemory: Codable, Sendable {
    let region: SharedRegion
    /// The size in bytes, as requested.
    public let byteCount: Int

    /// A new block of `byteCount` zeroed bytes. Pages are allocated when first touched.
    public init(byteCount: Int) throws {
        guard byteCount >= 0 else { throw IPCError.invalidArgument("a negative byte count: \(byteCount)") }
        region = try SharedRegion.create(kind: .sharedMemory, payloadSize: byteCount)
        self.byteCount = byteCount
    }

    /// Maps the memory a handle names.
    /// - Throws: ``IPCError/cannotAttach(_:)`` when no process holds it any more.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        region = try container.decodeRegion(forKey: .region, as: .sharedMemory)
        byteCount = try container.decode(Int.self, forKey: .byteCount)
        guard byteCount >= 0, byteCount <= region.payloadSize else {
            throw IPCError.cannotAttach("a handle of \(byteCount) bytes for a region of \(region.payloadSize)")
        }
    }

    /// Encodes a handle: decoding it in another process attaches to this object there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeRegion(region, forKey: .region)
        try container.encode(byteCount, forKey: .byteCount)
    }

    private enum CodingKeys: String, CodingKey {
        case region, byteCount
    }

    /// The first byte, 64-byte aligned; valid while this object lives.
    public var baseAddress: UnsafeMutableRawPointer { region.payload }

    /// Calls `body` with the bytes (Python's `buf`).
    public func withUnsafeMutableBytes<Result, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withExtendedLifetime(self) { () throws(Failure) -> Result in
            try body(UnsafeMutableRawBufferPointer(start: region.payload, count: byteCount))
        }
    }

    /// Calls `body` with the bytes, read-only.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withExtendedLifetime(self) { () throws(Failure) -> Result in
            try body(UnsafeRawBufferPointer(start: region.payload, count: byteCount))
        }
    }
}
