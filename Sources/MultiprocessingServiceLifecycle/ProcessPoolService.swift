#if ServiceLifecycle
import Multiprocessing
import ServiceLifecycle

/// A ``Multiprocessing/ProcessPool`` as a swift-service-lifecycle `Service`: it runs until the
/// service group shuts down gracefully, then closes the pool (no new work; what was submitted
/// finishes) and returns once every worker has exited. Cancelled instead (the group's
/// cancellation signal, or a service that failed), it terminates the pool: running items are
/// killed.
///
/// A service group stops its services in the reverse of their order, so list the pool before
/// the services that use it: they stop first, and their last calls still find the pool open.
/// Shutdown is the group's business: the pool installs no signal handler of its own here.
///
/// ```swift
/// let pool = try ProcessPool(workers: 4)
/// let group = ServiceGroup(configuration: .init(
///     services: [.init(service: ProcessPoolService(pool)), .init(service: MyServer(pool: pool))],
///     gracefulShutdownSignals: [.sigterm], logger: logger))
/// try await group.run()
/// ```
public struct ProcessPoolService: Service {
    /// The pool this service runs.
    public let pool: ProcessPool

    /// Runs `pool` as a service.
    public init(_ pool: ProcessPool) {
        self.pool = pool
    }

    /// Waits for the group's graceful shutdown, then closes the pool and joins its workers.
    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled, not shut down gracefully: stop the work now.
            await pool.terminate()
            throw error
        }
        try pool.close()
        try await pool.join()
    }
}
#endif  // ServiceLifecycle
