import Synchronization

/// State a worker process sets up once and its jobs then reach: a loaded model, an open file,
/// a connection. Python keeps such things in module globals set by the pool's `initializer`.
///
/// Values are keyed by their type: wrap two values of one type in types of their own.
///
/// ```swift
/// struct LoadModel: ProcessTarget {
///     var path: String
///     func run() async throws { WorkerState.set(try Model(contentsOf: path)) }
/// }
/// struct Classify: Job {
///     func run(_ image: Image) async throws -> Label {
///         try WorkerState.get(Model.self).classify(image)
///     }
/// }
/// let pool = try ProcessPool(options: .init(initializer: LoadModel(path: "model.bin")))
/// ```
public enum WorkerState {
    private static let values = Mutex<[ObjectIdentifier: any Sendable]>([:])

    /// Stores `value` for this process, replacing any value of the same type.
    public static func set<Value: Sendable>(_ value: Value) {
        values.withLock { $0[ObjectIdentifier(Value.self)] = value }
    }

    /// The value of this type stored in this process.
    ///
    /// - Throws: ``WorkerStateError/missing(_:)`` when none was stored (did the initializer run?).
    public static func get<Value: Sendable>(_ type: Value.Type = Value.self) throws(WorkerStateError) -> Value {
        guard let value = values.withLock({ $0[ObjectIdentifier(Value.self)] }) as? Value else {
            throw .missing(String(reflecting: Value.self))
        }
        return value
    }

    /// The value of this type, made by `make` (outside any lock) the first time it is asked for.
    public static func value<Value: Sendable>(
        _ type: Value.Type = Value.self, orMake make: () throws -> Value
    ) rethrows -> Value {
        if let existing = values.withLock({ $0[ObjectIdentifier(Value.self)] }) as? Value {
            return existing
        }
        let made = try make()
        return values.withLock { storage in
            if let raced = storage[ObjectIdentifier(Value.self)] as? Value { return raced }
            storage[ObjectIdentifier(Value.self)] = made
            return made
        }
    }

    /// Removes the value of this type, returning it.
    @discardableResult
    public static func remove<Value: Sendable>(_ type: Value.Type) -> Value? {
        values.withLock { $0.removeValue(forKey: ObjectIdentifier(Value.self)) } as? Value
    }
}

/// A ``WorkerState`` value that was asked for but never stored.
public enum WorkerStateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No value of the named type was stored (the initializer did not run, or stored another type).
    case missing(String)

    public var description: String {
        switch self {
        case let .missing(type):
            return "no worker state of type \(type): store it with WorkerState.set, e.g. in the pool's initializer"
        }
    }
}
