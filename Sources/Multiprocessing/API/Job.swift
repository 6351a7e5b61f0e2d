/// Work that runs in a worker process: Python's function given to `Pool.map` or `Pool.apply`.
///
/// A job is a value, not a closure: what a closure would capture are its stored properties, and
/// it travels to the worker as its type's name plus its encoded value. Declare it at file scope
/// (a type inside a function cannot be found by name in the worker; submitting one fails with
/// ``ProcessPoolError/unresolvableJobType(_:reason:)``).
///
/// ```swift
/// struct Square: Job {
///     func run(_ x: Int) async throws -> Int { x * x }
/// }
/// let squares = try await pool.map(Square(), Array(0..<10))
/// ```
///
/// Setup that a worker should do once (load a model, open a file) belongs in an initializer
/// (``ProcessPool/Options/initializer``) that stores it in ``WorkerState``.
public protocol Job: Codable, Sendable {
    associatedtype Input: Codable & Sendable
    associatedtype Output: Codable & Sendable

    /// Runs in a worker process, once per input.
    func run(_ input: Input) async throws -> Output

    /// How often an item of this job type is run again after its worker crashed or it timed
    /// out, unless a call says otherwise (Ray's `max_retries` on a remote function). Default:
    /// nil, the pool's ``ProcessPool/Options/retries``.
    static var retries: Int? { get }
}

extension Job {
    public static var retries: Int? { nil }
}

/// Work without input that runs once in a process: Python's `Process(target=...)`.
///
/// `Output` is `Void` or a `Codable` type; any other type is refused when the target is
/// submitted, with ``ProcessPoolError/unsupportedOutputType(_:)``.
///
/// ```swift
/// struct Worker: ProcessTarget {
///     func run() async throws {
///         print("Starting worker")
///         try await Task.sleep(for: .seconds(1))
///         print("Finished worker")
///     }
/// }
/// let process = WorkerProcess(target: Worker())
/// try await process.start()
/// try await process.join()
/// ```
public protocol ProcessTarget: Codable, Sendable {
    associatedtype Output: Sendable = Void

    /// Runs in the worker process.
    func run() async throws -> Output

    /// How often this target is run again in a pool after its worker crashed or it timed out,
    /// unless a call says otherwise. Default: nil, the pool's ``ProcessPool/Options/retries``.
    static var retries: Int? { get }
}

extension ProcessTarget {
    public static var retries: Int? { nil }
}
