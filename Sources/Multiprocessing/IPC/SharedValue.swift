/// One value in memory shared by processes, with a lock: Python's `multiprocessing.Value`.
///
/// ```swift
/// let total = try SharedValue(0.0)
/// // In any process that decoded it:
/// try await total.withLock { $0 += partial }
/// ```
///
/// Python's `v.value += 1` takes the lock twice and is not atomic; here ``withLock(_:)``
/// updates the value under the lock in one step, and integer values also have lock-free
/// atomic operations (``atomicWrappingAdd(_:)`` and the others). The value is `Codable` and
/// travels like every IPC object (see ``SharedMemory`` and ``ProcessLock``).
public struct SharedValue<Value: BitwiseCopyable>: Codable, Sendable {
    /// The lock that ``withLock(_:)``, ``load()`` and ``store(_:)`` take (Python's `get_lock()`).
    public let lock: ProcessLock
    /// The value's memory (Python's `get_obj()`).
    public let storage: SharedArray<Value>

    /// A shared value holding `initial`.
    public init(_ initial: Value) throws {
        lock = try ProcessLock()
        storage = try SharedArray(repeating: initial, count: 1)
    }

    /// Reads the value under the lock.
    public func load() async throws -> Value {
        try await withLock { $0 }
    }

    /// Writes the value under the lock.
    public func store(_ value: Value) async throws {
        try await withLock { $0 = value }
    }

    /// Updates the value under the lock, in one step.
    /// - Throws: ``IPCError/previousOwnerDied`` if a process died holding the lock and nobody
    ///   marked it consistent since (see ``ProcessLock``); `CancellationError`.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) async throws -> Result {
        if try await lock.lock() == .previousOwnerDied {
            lock.unlock()
            throw IPCError.previousOwnerDied
        }
        defer { lock.unlock() }
        return try storage.withUnsafeMutableBufferPointer { try body(&$0[0]) }
    }

    /// The value without the lock (Python's `Value(lock=False).value`): not synchronized.
    public var unsynchronizedValue: Value {
        get { storage[0] }
        nonmutating set { storage[0] = newValue }
    }
}

extension SharedValue where Value: FixedWidthInteger {
    /// Reads the value atomically, without the lock.
    public func atomicLoad() -> Value { storage.atomicLoad(at: 0) }

    /// Writes the value atomically, without the lock.
    public func atomicStore(_ value: Value) { storage.atomicStore(value, at: 0) }

    /// Adds atomically, without the lock, wrapping on overflow.
    @discardableResult
    public func atomicWrappingAdd(_ operand: Value) -> (oldValue: Value, newValue: Value) {
        storage.atomicWrappingAdd(operand, at: 0)
    }

    /// Replaces the value atomically; returns the old one.
    public func atomicExchange(_ value: Value) -> Value { storage.atomicExchange(value, at: 0) }

    /// Stores `desired` if the value is `expected`, atomically.
    public func atomicCompareExchange(expected: Value, desired: Value) -> (exchanged: Bool, original: Value) {
        storage.atomicCompareExchange(expected: expected, desired: desired, at: 0)
    }
}
