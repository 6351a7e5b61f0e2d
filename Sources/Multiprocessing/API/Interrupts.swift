import CMultiprocessing
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` in a task that Ctrl-C (SIGINT) or SIGTERM cancels, so that a program's pools
/// shut down in order (``withProcessPool(workers:options:isolation:_:)`` terminates its pool when its
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
/// The signals are caught with a handler (not ignored), so programs that `body` starts get the
/// default actions. Even without this, workers never outlive their program: they die with it.
///
/// The program's own signal handling is kept: a handler it installed (a Dispatch signal source,
/// swift-service-lifecycle) still runs when the signal comes, and on return each signal's action
/// is put back exactly as it was (a handler, `SIG_IGN` or `SIG_DFL`). Calls nest and run side by
/// side: a signal cancels every call in progress, and the action is put back when the last of
/// them returns.
public func withInterruptCancellation<Result: Sendable>(
    signals: [Int32] = [SIGINT, SIGTERM],
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let task = Task { try await body() }
    let watcher = try InterruptWatcher(signals: signals) { task.cancel() }
    defer { watcher.stop() }
    return try await withTaskCancellationHandler {
        try await task.value
    } onCancel: {
        task.cancel()
    }
}

/// Turns signals into a call of `onFirst` (the handler writes to a pipe the reactor watches);
/// a second signal ends the process.
private final class InterruptWatcher: Sendable {
    private let signals: [Int32]
    private let readEnd: Int32
    private let writeEnd: Int32
    private let received = Atomic<Int>(0)
    private let registration = Mutex<UInt64?>(nil)
    private let onFirst: @Sendable () -> Void

    init(signals: [Int32], onFirst: @escaping @Sendable () -> Void) throws {
        var ends: [Int32] = [-1, -1]
        guard cmp_pipe_cloexec(&ends) == 0 else { throw ProcessPoolError.spawnFailed("pipe: \(errnoText())") }
        for fd in ends { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        self.signals = signals
        readEnd = ends[0]
        writeEnd = ends[1]
        self.onFirst = onFirst
        Reactor.shared.execute { [self] in
            let token = Reactor.shared.register(fd: readEnd, events: CMP_EPOLLIN) { [self] _ in drain() }
            registration.withLock { $0 = token }
        }
        for signal in signals { _ = cmp_watch_signal(signal, writeEnd) }
    }

    private func drain() {
        var byte: UInt8 = 0
        while read(readEnd, &byte, 1) == 1 {
            if received.add(1, ordering: .relaxed).newValue > 1 { _exit(128 + Int32(byte)) }
            onFirst()
        }
    }

    func stop() {
        for signal in signals { _ = cmp_unwatch_signal(signal, writeEnd) }
        Reactor.shared.execute { [self] in
            if let token = registration.withLock({ $0 }) { Reactor.shared.unregister(fd: readEnd, token: token) }
            close(readEnd)
            close(writeEnd)
        }
    }
}
