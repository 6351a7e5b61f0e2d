#if Postgres
import CMultiprocessing
import CMultiprocessingPostgres
import Dispatch
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The environment that makes an executable a worker host before `main`:
///
/// | variable | meaning |
/// |---|---|
/// | `MULTIPROCESSING_POSTGRES_WORKER` | the queue to serve (required; its presence enters host mode) |
/// | `MULTIPROCESSING_POSTGRES_URL` | the database's connection URL (this, `_URL_FILE` or `_URL_FD` is required) |
/// | `MULTIPROCESSING_POSTGRES_URL_FILE` | a file holding the URL (its path only is in the environment) |
/// | `MULTIPROCESSING_POSTGRES_URL_FD` | an open descriptor on the URL's text, read and closed (for launchers) |
/// | `MULTIPROCESSING_POSTGRES_PROCESSES` | local worker processes (default: the CPUs this process may use) |
/// | `MULTIPROCESSING_POSTGRES_LEASE_SECONDS` | the claim lease (default 30) |
/// | `MULTIPROCESSING_POSTGRES_CLAIM_BATCH` | tasks per claim (default 256) |
/// | `MULTIPROCESSING_POSTGRES_RETENTION_HOURS` | how long finished jobs are kept (default 168) |
///
/// The URL's password never stays where a job's processes could read it. `/proc/<pid>/environ`
/// shows a process's initial environment to every process of its user, and removing a variable
/// does not change it: so a host given `MULTIPROCESSING_POSTGRES_URL` moves the URL into an
/// anonymous memory file and starts its executable again (the same pid) with only that file's
/// descriptor number in `MULTIPROCESSING_POSTGRES_URL_FD`; the host reads the descriptor and
/// closes it before any worker starts. `MULTIPROCESSING_POSTGRES_URL_FILE` avoids the restart:
/// only the file's path is in the environment (keep the file readable by the host's user
/// alone). SIGTERM or SIGINT drains the host (no more
/// claims; the tasks it holds are finished and written back; then it exits with status 0); a
/// second one ends it at once.
public enum HostEnvironment {
    /// The signal sources live as long as the host: the process.
    nonisolated(unsafe) private static var signalSources: [any DispatchSourceSignal] = []

    /// The first SIGTERM or SIGINT drains the host, the second exits at once. (Set up once,
    /// before any other thread of the host exists: `signalSources` is written only here.)
    static func drainOnSignals() {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if WorkerHost.isDraining { _exit(1) }
                WorkerHost.drain()
            }
            source.resume()
            signalSources.append(source)
        }
    }

    /// `MULTIPROCESSING_POSTGRES_WORKER`: the queue to serve; its presence enters host mode.
    public static let queueVariable = CMP_POSTGRES_HOST_ENV
    /// `MULTIPROCESSING_POSTGRES_URL`: the database's connection URL.
    public static let urlVariable = CMP_POSTGRES_URL_ENV
    /// `MULTIPROCESSING_POSTGRES_URL_FILE`: a file holding the connection URL.
    public static let urlFileVariable = "MULTIPROCESSING_POSTGRES_URL_FILE"
    /// `MULTIPROCESSING_POSTGRES_URL_FD`: an open descriptor on the URL's text (read and closed).
    public static let urlDescriptorVariable = CMP_POSTGRES_URL_FD_ENV

    /// The URL, from the descriptor or the file the environment names (the descriptor is closed).
    static func url() throws(DistributedPoolError) -> String {
        if let raw = getenv(urlDescriptorVariable) {
            guard let fd = Int32(String(cString: raw)), fd >= 0 else {
                throw .invalidConfiguration("\(urlDescriptorVariable) must be a descriptor number")
            }
            defer { close(fd) }
            guard let text = readAll(fd) else {
                throw .invalidConfiguration("cannot read the URL from descriptor \(fd) (\(urlDescriptorVariable)): \(String(cString: strerror(errno)))")
            }
            return text
        }
        if let raw = getenv(urlFileVariable) {
            let path = String(cString: raw)
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0, let text = readAll(fd) else {
                let why = String(cString: strerror(errno))
                if fd >= 0 { close(fd) }
                throw .invalidConfiguration("cannot read the URL from \(path) (\(urlFileVariable)): \(why)")
            }
            close(fd)
            return text
        }
        throw .invalidConfiguration("\(queueVariable) is set but none of \(urlVariable), \(urlFileVariable), "
            + "\(urlDescriptorVariable) is: no database to serve")
    }

    /// A descriptor's text to its end, without surrounding white space (a file's last newline).
    private static func readAll(_ fd: Int32) -> String? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        return String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    static func options() throws(DistributedPoolError) -> WorkerHost.Options {
        var options = WorkerHost.Options()
        func number(_ name: String) throws(DistributedPoolError) -> Double? {
            guard let raw = getenv("MULTIPROCESSING_POSTGRES_\(name)") else { return nil }
            guard let value = Double(String(cString: raw)), value > 0 else {
                throw .invalidConfiguration("MULTIPROCESSING_POSTGRES_\(name) must be a positive number")
            }
            return value
        }
        if let processes = try number("PROCESSES") { options.processes = Int(processes) }
        if let lease = try number("LEASE_SECONDS") { options.lease = .milliseconds(Int64(lease * 1000)) }
        if let batch = try number("CLAIM_BATCH") { options.claimBatch = Int(batch) }
        if let hours = try number("RETENTION_HOURS") { options.retention = .seconds(Int64(hours * 3600)) }
        return options
    }
}

/// Called by the C constructor, before `main`, when the executable was started as a worker
/// host. It never returns.
@_cdecl("swift_multiprocessing_postgres_host_main")
func swiftMultiprocessingPostgresHostMain() {
    func fail(_ text: String) -> Never {
        let line = "swift-multiprocessing: \(text)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        _exit(2)
    }
    let queue = String(cString: getenv(HostEnvironment.queueVariable))
    // (The C constructor has moved a URL given in the environment to a descriptor.)
    let url: String
    let options: WorkerHost.Options
    do {
        url = try HostEnvironment.url()
        options = try HostEnvironment.options()
    } catch {
        fail("\(error)")
    }
    for variable in [HostEnvironment.queueVariable, HostEnvironment.urlVariable, HostEnvironment.urlFileVariable,
                     HostEnvironment.urlDescriptorVariable] {
        unsetenv(variable)
    }
    HostEnvironment.drainOnSignals()
    Task.detached {
        do {
            try await WorkerHost.run(url: url, queue: queue, options: options)
            exit(0)
        } catch {
            fail("worker host stopped: \(String(reflecting: error))")
        }
    }
    cmp_serve_main_queue_forever()
}
#endif  // Postgres
