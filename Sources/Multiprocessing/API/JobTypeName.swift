import Synchronization

/// Names job types for the trip to a worker, and finds them again there.
///
/// A type travels as its mangled name; the worker finds it with `_typeByName`. Types local to a
/// function cannot be found that way, so the parent checks the round trip before it sends
/// anything, and says how to fix the type when it fails.
@_spi(PoolBackends) public enum JobTypeName {
    private static let checked = Mutex<[ObjectIdentifier: String]>([:])
    private static let resolved = Mutex<[String: any Any.Type]>([:])

    /// The name under which a worker will find `type`, or a clear error.
    /// (Public for other pools, such as the distributed one, as SPI.)
    public static func of<T>(_ type: T.Type) throws(ProcessPoolError) -> String {
        let key = ObjectIdentifier(type)
        if let name = checked.withLock({ $0[key] }) { return name }
        let display = String(reflecting: type)
        guard let name = _mangledTypeName(type) else {
            throw .unresolvableJobType(display, reason: "Swift gives it no mangled name")
        }
        guard let found = _typeByName(name), found == type else {
            throw .unresolvableJobType(display, reason:
                "a worker cannot find it by name. Declare it at file scope (not inside a function or closure), "
                + "and do not make it generic over a type declared inside a function.")
        }
        checked.withLock { $0[key] = name }
        return name
    }

    /// The type a worker finds under `name`, cached.
    static func resolve(_ name: String) -> (any Any.Type)? {
        if let type = resolved.withLock({ $0[name] }) { return type }
        guard let type = _typeByName(name) else { return nil }
        resolved.withLock { $0[name] = type }
        return type
    }
}
