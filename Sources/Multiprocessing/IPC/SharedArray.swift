/// A fixed-size array of plain values in memory shared by processes: Python's
/// `multiprocessing.Array` (with `lock=False`), typed, and without a copy on either side.
///
/// ```swift
/// let samples = try SharedArray<Float>(count: 100_000_000)
/// // Each worker fills its slice (the array is a stored property of the job):
/// samples.withUnsafeMutableBufferPointer { buffer in
///     for i in range { buffer[i] = compute(i) }
/// }
/// // The parent reads the same memory.
/// ```
///
/// The array has reference semantics, like `UnsafeMutableBufferPointer`: copies of it, and the
/// arrays other processes decode from it, share its elements. Elements are `BitwiseCopyable`
/// (numbers, and structs and tuples of them): their bits mean the same in every process.
/// Nothing synchronizes plain access; use a ``ProcessLock`` or, for integer elements, the
/// atomic operations (``atomicWrappingAdd(_:at:)`` and the others), which are atomic across
/// processes.
///
/// It is `Codable` and travels like ``SharedMemory``: the process that encoded it (or the one
/// that created it) must still hold it when another process decodes it.
public struct SharedArray<Element: BitwiseCopyable>: Codable, @unchecked Sendable {
    // @unchecked: Element may not be Sendable, but the elements are plain bits in memory that
    // other processes share anyway; no reference counts or pointers to this process's heap are
    // involved. Concurrent access to one element must be synchronized by the caller (a lock or
    // the atomic operations), exactly as with Python's `Array(lock=False)` (documented).

    /// The memory the elements live in (shared with any other views of it).
    public let memory: SharedMemory
    /// Where the first element is, in bytes from the start of ``memory``.
    public let byteOffset: Int
    /// The number of elements.
    public let count: Int
    private let base: UnsafeMutablePointer<Element>

    /// An array of `count` elements whose bits are all zero (0 for numbers).
    public init(count: Int) throws {
        guard count >= 0 else { throw IPCError.invalidArgument("a negative count: \(count)") }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        guard !overflow else { throw IPCError.invalidArgument("\(count) elements overflow the address space") }
        try self.init(memory: SharedMemory(byteCount: bytes), byteOffset: 0, count: count)
    }

    /// An array of `count` copies of `value`.
    public init(repeating value: Element, count: Int) throws {
        try self.init(count: count)
        withUnsafeMutableBufferPointer { $0.initialize(repeating: value) }
    }

    /// An array holding `elements`.
    public init(_ elements: some Collection<Element>) throws {
        try self.init(count: elements.count)
        withUnsafeMutableBufferPointer { _ = $0.initialize(from: elements) }
    }

    /// A view of `count` elements of `memory`, from `byteOffset` (which must be aligned for
    /// `Element`). Views of one `SharedMemory` with different element types must not be used at
    /// the same time.
    public init(memory: SharedMemory, byteOffset: Int = 0, count: Int) throws {
        let stride = MemoryLayout<Element>.stride
        guard byteOffset >= 0, count >= 0, byteOffset % MemoryLayout<Element>.alignment == 0,
              count <= (memory.byteCount - byteOffset) / Swift.max(stride, 1) else {
            throw IPCError.invalidArgument(
                "\(count) elements of \(stride) bytes at offset \(byteOffset) do not fit in \(memory.byteCount) bytes, aligned")
        }
        self.memory = memory
        self.byteOffset = byteOffset
        self.count = count
        base = (memory.baseAddress + byteOffset).bindMemory(to: Element.self, capacity: count)
    }

    /// Maps the array a handle names.
    /// - Throws: ``IPCError/cannotAttach(_:)`` when no process holds it any more, or when the
    ///   element size differs from the sender's.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let stride = try container.decode(Int.self, forKey: .stride)
        guard stride == MemoryLayout<Element>.stride else {
            throw IPCError.cannotAttach("an array of \(stride)-byte elements decoded as \(Element.self), of \(MemoryLayout<Element>.stride) bytes")
        }
        try self.init(memory: container.decode(SharedMemory.self, forKey: .memory),
                      byteOffset: container.decode(Int.self, forKey: .byteOffset),
                      count: container.decode(Int.self, forKey: .count))
    }

    /// Encodes a handle: decoding it in another process attaches to this object there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(memory, forKey: .memory)
        try container.encode(byteOffset, forKey: .byteOffset)
        try container.encode(count, forKey: .count)
        try container.encode(MemoryLayout<Element>.stride, forKey: .stride)
    }

    private enum CodingKeys: String, CodingKey {
        case memory, byteOffset, count, stride
    }

    /// The element at `index` (plain access: not atomic, not synchronized).
    public subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "SharedArray index \(index) out of range 0..<\(count)")
            return base[index]
        }
        nonmutating set {
            precondition(index >= 0 && index < count, "SharedArray index \(index) out of range 0..<\(count)")
            base[index] = newValue
        }
    }

    /// Calls `body` with the elements, in place: the fast way to fill or read many.
    public func withUnsafeMutableBufferPointer<Result, Failure: Error>(
        _ body: (UnsafeMutableBufferPointer<Element>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withExtendedLifetime(memory) { () throws(Failure) -> Result in
            try body(UnsafeMutableBufferPointer(start: base, count: count))
        }
    }

    /// Calls `body` with the elements, read-only and in place.
    public func withUnsafeBufferPointer<Result, Failure: Error>(
        _ body: (UnsafeBufferPointer<Element>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withExtendedLifetime(memory) { () throws(Failure) -> Result in
            try body(UnsafeBufferPointer(start: base, count: count))
        }
    }

    /// A copy of the elements in an ordinary array.
    public func toArray() -> [Element] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// The address of element `index`, for the atomic operations.
    func address(of index: Int) -> UnsafeMutableRawPointer {
        precondition(index >= 0 && index < count, "SharedArray index \(index) out of range 0..<\(count)")
        return UnsafeMutableRawPointer(base + index)
    }
}

extension SharedArray: RandomAccessCollection, MutableCollection {
    public typealias Index = Int
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
}
