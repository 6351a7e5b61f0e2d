import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` in a task that Ctrl-C (SIGINT) or SIGTERM cancels, so that a program's pools
/// shut down in order (``withProcessPool(workers:options:_:)`` terminates its pool when its
/// body is cancelled) instead of the program dying mid-flight. A second signal ends the program
/// at once, with status 128 + the signal's number.
///
/// ```swift
/// do {
///     try await withInterruptCancellation {
///         try await withProcessPool { pool in ... }
///     }
/// } catch is CancellationError {
///     exit(130)
/// }
/// ```
///
/// Even without this, workers never outlive their program: they die with it.
public func withInterruptCancellation<Result: Sendable>(
    signals: [Int32] = [SIGINT, SIGTERM],
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let task = Task { try await body() }
    let received = InterruptCount()
    let sources = signals.map { number -> any DispatchSourceSignal in
        // The dispatch source sees the signal only once its default action is off.
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            if received.increment() > 1 { _exit(128 + number) }
            task.cancel()
        }
        source.resume()
        return source
    }
    defer {
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
    }
    return try await withTaskCancellationHandler {
        try await task.value
    } onCancel: {
        task.cancel()
    }
}

private final class InterruptCount: Sendable {
    private let count = Atomic<Int>(0)

    /// The count after this signal.
    func increment() -> Int {
        count.add(1, ordering: .relaxed).newValue
    }
}
