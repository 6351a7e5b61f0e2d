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
    /// What one item is: the element type of the inputs of `map` and the others.
    associatedtype Input: Codable & Sendable
    /// What ``run(_:)`` returns for one item.
    associatedtype Output: Codable & Sendable

    /// Runs in a worker process, once per input.
    func run(_ input: Input) async throws -> Output

    /// How often an item of this job type is run again after its worker crashed or it timed
    /// out, unless a call says otherwise (Ray's `max_retries` on a remote function). Default:
    /// nil, the pool's ``ProcessPool/Options/retries``.
    static var retries: Int? { get }

    /// Runs items `range` of `inputs` in a worker: the worker's entry into a job, not part of
    /// the public API. It is a requirement (with its only implementation below) so that it is
    /// compiled with each job type, specialized, which makes the per-item cost of tiny items a
    /// few nanoseconds. It is SPI: a job's module does not see it, and the only implementation
    /// is the one below.
    @_spi(WorkerEntry)
    func _runItems(_ inputs: [Input], in range: Range<Int>, session: _ItemSession<Output>) async
}

extension Job {
    public static var retries: Int? { nil }
}

extension Job {
    // Public (an SPI declaration could not be the witness of a job declared in a module that
    // does not import the SPI), but out of the documentation: the requirement it satisfies is
    // not visible outside the library.
    @_documentation(visibility: internal) @inlinable
    public func _runItems(_ inputs: [Input], in range: Range<Int>, session: _ItemSession<Output>) async {
        var outputs: [Output] = []
        outputs.reserveCapacity(range.count)
        // The clock is read every so many items (more of them when items are tiny).
        var untilCheck = 1
        for index in range {
            session.begin(index)
            do {
                outputs.append(try await run(inputs[index]))
            } catch {
                session.failed(index, error)
            }
            untilCheck -= 1
            if untilCheck == 0 {
                let (due, next) = session.checkpoint()
                untilCheck = next
                if due && index + 1 < range.upperBound {
                    session.send(&outputs, through: index, final: false)
                }
            }
        }
        session.send(&outputs, through: range.upperBound - 1, final: true)
    }
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
/// let process = try WorkerProcess(target: Worker())
/// try await process.start()
/// try await process.join()
/// ```
public protocol ProcessTarget: Codable, Sendable {
    /// What ``run()`` returns: `Void` or a `Codable` value, read with ``WorkerProcess/value``.
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
