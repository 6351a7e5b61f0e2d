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
/// | `MULTIPROCESSING_POSTGRES_URL` | the database's connection URL (required) |
/// | `MULTIPROCESSING_POSTGRES_PROCESSES` | local worker processes (default: the CPUs this process may use) |
/// | `MULTIPROCESSING_POSTGRES_LEASE_SECONDS` | the claim lease (default 30) |
/// | `MULTIPROCESSING_POSTGRES_CLAIM_BATCH` | tasks per claim (default 256) |
/// | `MULTIPROCESSING_POSTGRES_RETENTION_HOURS` | how long finished jobs are kept (default 168) |
///
/// Both variables are removed from the environment before any worker starts, so the URL's
/// password does not reach the jobs' processes. SIGTERM or SIGINT drains the host (no more
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

    public static let queueVariable = CMP_POSTGRES_HOST_ENV
    public static let urlVariable = "MULTIPROCESSING_POSTGRES_URL"

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
    guard let rawURL = getenv(HostEnvironment.urlVariable) else {
        fail("\(HostEnvironment.queueVariable) is set but \(HostEnvironment.urlVariable) is not: no database to serve")
    }
    let url = String(cString: rawURL)
    let options: WorkerHost.Options
    do {
        options = try HostEnvironment.options()
    } catch {
        fail("\(error)")
    }
    unsetenv(HostEnvironment.queueVariable)
    unsetenv(HostEnvironment.urlVariable)
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
