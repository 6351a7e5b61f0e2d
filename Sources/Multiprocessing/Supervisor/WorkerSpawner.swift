import CMultiprocessing
#if canImport(Glibc)
import Glibc
#endif

/// How to start workers: the arguments and environment they get, and their limits.
struct WorkerLaunchConfiguration: Sendable {
    var memoryLimitBytes: Int = 0
    var reportsResidentMemory = false
    /// Keep Swift's crash backtracer on in workers (slow, verbose); off unless asked for.
    var backtraces = false
    var maxFrameSize = Frame.defaultMaxSize
    /// The program workers run: this one (the tests point it elsewhere).
    var executable = "/proc/self/exe"
}

/// The parent's descriptors for a freshly started worker.
struct SpawnedWorker {
    var pid: pid_t
    var channel: Int32
    var stderr: Int32
    var pidfd: Int32
    var page: StatusPage?
    /// A test's stand-in for the process, signalled and reaped in its place (see
    /// ``ScriptedProcess``); nil for a real worker.
    var scripted: (any ScriptedProcess)? = nil
}

/// The supervisor's model test stands one of these in for a worker's process: it is signalled
/// and reaped instead of a pid, while the worker's channel, standard error and status page are
/// real descriptors and memory on the test's side. `SpawnedWorker.pidfd` is then a descriptor
/// the stand-in makes readable (an eventfd) when it has exited, as a pidfd becomes.
protocol ScriptedProcess: AnyObject {
    func signal(_ signal: Int32)
    /// The exit status once the stand-in has exited, nil while it runs.
    func reap() -> ProcessExitStatus?
}

enum WorkerSpawner {
    /// Starts this executable again as a worker. Call it on the reactor thread (see ``Reactor``).
    static func spawn(_ configuration: WorkerLaunchConfiguration) throws(ProcessPoolError) -> SpawnedWorker {
        do {
            return try spawnClassified(configuration)
        } catch {
            throw error.asPoolError
        }
    }

    /// As ``spawn(_:)``, with the cause kept apart so that a pool can tell a shortage that
    /// passes from a cause that will not (see ``SpawnFailure``). Nothing is left open on failure.
    static func spawnClassified(_ configuration: WorkerLaunchConfiguration) throws(SpawnFailure) -> SpawnedWorker {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw SpawnFailure(step: "socketpair", code: errno)
        }
        var errPipe: [Int32] = [-1, -1]
        guard cmp_pipe_cloexec(&errPipe) == 0 else {
            let code = errno
            close(pair[0]); close(pair[1])
            throw SpawnFailure(step: "pipe", code: code)
        }
        let memfd = cmp_memfd_create("swift-multiprocessing-status")
        let memfdError = memfd < 0 ? errno : 0
        if SpawnFailure.transientCodes.contains(memfdError) {
            // Out of descriptors or memory: a worker without its status page would run without
            // timeouts' and stealing's view of it, so this is a failure to retry, not a downgrade.
            // (A kernel without memfd, ENOSYS, still gets a worker without a page.)
            close(pair[0]); close(pair[1]); close(errPipe[0]); close(errPipe[1])
            throw SpawnFailure(step: "memfd", code: memfdError)
        }
        var page: StatusPage?
        if memfd >= 0, ftruncate(memfd, off_t(StatusPage.size)) == 0 {
            page = StatusPage(mapping: memfd)
        }
        defer {
            close(pair[1]); close(errPipe[1])
            if memfd >= 0 { close(memfd) }
        }

        let marker = WorkerMarker(parentPID: getpid(), reportsResidentMemory: configuration.reportsResidentMemory,
                                  memoryLimitBytes: configuration.memoryLimitBytes,
                                  maxFrameSize: configuration.maxFrameSize)
        var pid: pid_t = 0
        let result = withCStrings(CommandLine.arguments) { argv in
            withCStrings(environment(marker: marker, configuration: configuration)) { envp in
                cmp_spawn_worker(configuration.executable, argv, envp, pair[1], page == nil ? -1 : memfd, errPipe[1], &pid)
            }
        }
        guard result == 0 else {
            close(pair[0]); close(errPipe[0]); page?.unmap()
            // EMFILE and the like come from the descriptors the spawn needs; any other errno is
            // the exec's, and then names the file.
            throw SpawnFailure(step: "posix_spawn", code: result,
                               executable: SpawnFailure.transientCodes.contains(result) ? nil : executableName(configuration))
        }
        _ = fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK)
        _ = fcntl(errPipe[0], F_SETFL, fcntl(errPipe[0], F_GETFL) | O_NONBLOCK)
        // The pidfd names the worker for good, whoever reaps it (see ChildProcess). It is opened
        // right after the spawn (glibc 2.36 has no pidfd_spawn): a worker that died in this
        // moment, in a program that reaps children itself or ignores SIGCHLD, leaves no pidfd
        // (ESRCH), and is then polled with waitpid, which reports it as an unknown exit.
        let pidfd = cmp_pidfd_open(pid)
        let pidfdError = pidfd < 0 ? errno : 0
        if SpawnFailure.transientCodes.contains(pidfdError) {
            // Out of descriptors: the worker is not yet reaped by anyone, so its pid is its own.
            _ = Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            close(pair[0]); close(errPipe[0]); page?.unmap()
            throw SpawnFailure(step: "pidfd", code: pidfdError)
        }
        if pidfd >= 0 { _ = fcntl(pidfd, F_SETFD, FD_CLOEXEC) }
        return SpawnedWorker(pid: pid, channel: pair[0], stderr: errPipe[0], pidfd: pidfd, page: page)
    }

    /// The file behind the executable's path, for messages (`/proc/self/exe` says nothing).
    private static func executableName(_ configuration: WorkerLaunchConfiguration) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(configuration.executable, &buffer, buffer.count - 1)
        guard count > 0 else { return configuration.executable }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func environment(marker: WorkerMarker, configuration: WorkerLaunchConfiguration) -> [String] {
        var entries: [String] = []
        var hasBacktraceSetting = false
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if !text.hasPrefix(WorkerMarker.variable + "=") {
                entries.append(text)
                if text.hasPrefix("SWIFT_BACKTRACE=") { hasBacktraceSetting = true }
            }
            pointer += 1
        }
        entries.append("\(WorkerMarker.variable)=\(marker.encoded)")
        if !hasBacktraceSetting && !configuration.backtraces {
            // The backtracer makes a crash take seconds and bury the trap message.
            entries.append("SWIFT_BACKTRACE=enable=no")
        }
        return entries
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
