import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One process that runs one ``ProcessTarget`` and exits: Python's `multiprocessing.Process`.
///
/// ```swift
/// let process = try WorkerProcess(target: Worker())
/// try await process.start()
/// try await process.join()
/// print("Parent process finished")
/// ```
///
/// The process exits with status 0 when the target returns and 1 when it throws; ``value``
/// gives the target's output or throws a ``JobFailure`` (its error, or the crash that ended the
/// process). The process dies with the program, and is killed if this object is released while
/// it runs.
public final class WorkerProcess<Target: ProcessTarget>: Sendable {
    /// The target this process runs.
    public let target: Target
    private let core: ProcessCore
    private let started = Atomic<Bool>(false)
    private let waiterIDs = Atomic<UInt64>(1)

    /// Prepares a process for `target`; ``start()`` starts it.
    public init(target: Target) throws {
        guard TargetOutputCoding.isSupported(Target.Output.self) else {
            throw ProcessPoolError.unsupportedOutputType(String(reflecting: Target.Output.self))
        }
        self.target = target
        core = ProcessCore(reactor: .shared, job: try EncodedJob(target), launch: WorkerLaunchConfiguration())
    }

    deinit {
        let core = core
        core.reactor.execute { core.signal(SIGKILL) }
    }

    /// Starts the process (Python's `start()`); returns once it exists.
    /// - Throws: ``ProcessPoolError/alreadyStarted`` the second time, or
    ///   ``ProcessPoolError/spawnFailed(_:)``, whose text names the step and the errno
    ///   ("socketpair: Too many open files (EMFILE)"). Unlike a pool, a single process is not
    ///   retried: a shortage that passes (EMFILE, ENFILE, EAGAIN, ENOMEM) throws too, and the
    ///   caller may try again with a new `WorkerProcess`.
    public func start() async throws {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { throw ProcessPoolError.alreadyStarted }
        let core = core
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            core.record.withLock { $0.startWaiters.append(continuation) }
            core.reactor.execute { core.spawn() }
        }
        if let error = core.record.withLock({ $0.spawnError }) { throw error }
    }

    /// The process id, once started.
    public var pid: Int32? { core.record.withLock { $0.pid } }

    /// How the process ended; nil while it runs or before it starts (Python's `exitcode`).
    public var exitStatus: ProcessExitStatus? { core.record.withLock { $0.exitStatus } }

    /// Started and not yet exited (Python's `is_alive()`).
    public var isRunning: Bool {
        core.record.withLock { $0.pid != nil && $0.exitStatus == nil }
    }

    /// Waits for the process to exit (Python's `join()`), and returns how it ended.
    /// - Throws: ``ProcessPoolError/notStarted`` before ``start()``.
    @discardableResult
    public func join() async throws -> ProcessExitStatus {
        guard started.load(ordering: .acquiring) else { throw ProcessPoolError.notStarted }
        let core = core
        let id = waiterIDs.add(1, ordering: .relaxed).oldValue
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = core.record.withLock { record -> Bool in
                    if record.exitStatus != nil || record.spawnError != nil { return true }
                    record.exitWaiters.append((id, continuation))
                    return false
                }
                if done { continuation.resume() }
            }
            return core.record.withLock { $0.exitStatus } ?? .exited(127)
        } onCancel: {
            // Stop waiting; the process goes on.
            let waiter = core.record.withLock { record -> CheckedContinuation<Void, Never>? in
                guard let index = record.exitWaiters.firstIndex(where: { $0.id == id }) else { return nil }
                return record.exitWaiters.remove(at: index).continuation
            }
            waiter?.resume()
        }
    }

    /// Waits at most `timeout` for the process to exit (Python's `join(timeout)`); nil if it
    /// is still running then.
    public func join(timeout: Duration) async throws -> ProcessExitStatus? {
        guard started.load(ordering: .acquiring) else { throw ProcessPoolError.notStarted }
        return await withTaskGroup(of: ProcessExitStatus?.self) { group in
            group.addTask { try? await self.join() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? exitStatus
        }
    }

    /// The target's output, once the process has exited.
    /// - Throws: ``JobFailure``: the error the target threw, or the crash that ended the process.
    public var value: Target.Output {
        get async throws {
            try await join()
            guard let result = core.record.withLock({ $0.result }) else {
                throw JobFailure(reason: .crashed(exitStatus ?? .exited(127)), jobType: String(reflecting: Target.self))
            }
            let payload = try result.get()
            do {
                return try TargetOutputCoding.decode(Target.Output.self, from: payload)
            } catch {
                throw JobFailure(reason: .codingFailed("cannot decode \(Target.Output.self): \(error)"),
                                 jobType: String(reflecting: Target.self))
            }
        }
    }

    /// Asks the process to stop with SIGTERM (Python's `terminate()`).
    public func terminate() {
        let core = core
        core.reactor.execute { core.signal(SIGTERM) }
    }

    /// Stops the process with SIGKILL (Python's `kill()`).
    public func kill() {
        let core = core
        core.reactor.execute { core.signal(SIGKILL) }
    }
}

extension WorkerProcess {
    /// Runs `target` in a new process, waits for it, and returns its output.
    public static func run(_ target: Target) async throws -> Target.Output {
        let process = try WorkerProcess(target: target)
        try await process.start()
        return try await process.value
    }
}
