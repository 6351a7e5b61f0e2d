#if Tools
#if canImport(Glibc)
import Glibc
#endif

// The peers users would pick besides Python 3.11's multiprocessing: other pool libraries
// (concurrent.futures, loky, joblib, mpire, Ray, Dask), another interpreter (3.13), and for
// pg-tiny other task queues (Celery in chunks, Procrastinate, PgQueuer). They run only with
// `mp-bench --peers`: CI's `--quick` needs no more than it did. A peer whose interpreter or
// library is missing is reported as skipped, never as a failed run.

/// Where a peer's interpreter comes from.
enum PeerInterpreter: Sendable, Equatable {
    /// `--python` (3.11): the scenario's own peer's interpreter.
    case main
    /// `--python313` (default: pyenv's 3.13.0).
    case python313
    /// The virtual environment of `Benchmarks/peers/setup.sh` (the extra libraries).
    case venv
}

/// A Python peer run beside the scenario's own, alternating with it, on the same work.
struct PeerSpec: Sendable {
    /// How the table names it ("loky", "multiprocessing 3.13").
    var label: String
    /// Its script in `Benchmarks/python`; nil: the scenario's own.
    var script: String?
    /// What the script is given besides `--quick` and `--start-method`.
    var arguments: [String]
    var interpreter: PeerInterpreter
    /// Python modules it needs: when one does not import, the peer is skipped.
    var modules: [String]

    init(_ label: String, script: String? = nil, arguments: [String] = [], interpreter: PeerInterpreter = .main,
         modules: [String] = []) {
        self.label = label
        self.script = script
        self.arguments = arguments
        self.interpreter = interpreter
        self.modules = modules
    }

    /// The same script under Python 3.13.
    static let python313 = PeerSpec("multiprocessing 3.13", interpreter: .python313)
    /// `concurrent.futures.ProcessPoolExecutor` (the standard library's other pool).
    static let futures = PeerSpec("concurrent.futures", arguments: ["--library", "futures"])
    /// loky's reusable executor (in the set-up's virtual environment).
    static let loky = PeerSpec("loky", arguments: ["--library", "loky"], interpreter: .venv, modules: ["loky"])
    /// joblib's `Parallel` with automatic batching (loky backend).
    static let joblib = PeerSpec("joblib", arguments: ["--library", "joblib"], interpreter: .venv, modules: ["joblib"])
    /// mpire's `WorkerPool`.
    static let mpire = PeerSpec("mpire", arguments: ["--library", "mpire"], interpreter: .venv, modules: ["mpire"])
    /// Ray on this machine (`ray.init(num_cpus: workers)`); map in chunks of Pool.map's default size.
    static let ray = PeerSpec("ray", arguments: ["--library", "ray"], interpreter: .venv, modules: ["ray"])
    /// Dask distributed, a LocalCluster of one-thread worker processes; map in chunks likewise.
    static let dask = PeerSpec("dask", arguments: ["--library", "dask"], interpreter: .venv,
                               modules: ["dask.distributed"])

    // The queue peers of pg-tiny: the same N tiny tasks through a broker, one worker of 2 processes.
    /// Celery with the work batched (`square.chunks(...)`, Pool.map's default chunk size), with
    /// the scenario's own peer's interpreter and Redis.
    static let celeryChunks = PeerSpec("celery chunks", arguments: ["--library", "chunks"],
                                       modules: ["celery", "redis"])
    /// Procrastinate (PostgreSQL-backed), on the benchmark's own server: 2 worker processes.
    static let procrastinate = PeerSpec("procrastinate", script: "procrastinate_tiny.py", interpreter: .venv,
                                        modules: ["procrastinate", "psycopg"])
    /// PgQueuer (PostgreSQL-backed), on the benchmark's own server: 2 worker processes.
    static let pgqueuer = PeerSpec("pgqueuer", script: "pgqueuer_tiny.py", interpreter: .venv,
                                   modules: ["pgqueuer", "asyncpg", "psycopg"])
}

/// Finds the peers' interpreters and whether their libraries import, once per run of mp-bench.
final class PeerEnvironment {
    let python: String
    let python313: String?
    let venvPython: String?
    private var importable: [String: String?] = [:]

    init(python: String, python313: String?, repositoryRoot: String?) {
        self.python = python
        self.python313 = python313 ?? PeerEnvironment.pyenvPython("3.13.0")
        let venv = repositoryRoot.map { $0 + "/Benchmarks/peers/.venv/bin/python" }
        venvPython = venv.flatMap { access($0, X_OK) == 0 ? $0 : nil }
    }

    /// pyenv's interpreter of this version, when it is installed.
    static func pyenvPython(_ version: String) -> String? {
        let root = getenv("PYENV_ROOT").map { String(cString: $0) }
            ?? getenv("HOME").map { String(cString: $0) + "/.pyenv" }
        guard let root else { return nil }
        let path = root + "/versions/\(version)/bin/python3"
        return access(path, X_OK) == 0 ? path : nil
    }

    /// The interpreter to run `peer` with, or why it is skipped.
    func interpreter(for peer: PeerSpec) -> Result<String, PeerSkipped> {
        let path: String
        switch peer.interpreter {
        case .main: path = python
        case .python313:
            guard let python313, access(python313, X_OK) == 0 else {
                return .failure(PeerSkipped("Python 3.13 not found at \(python313 ?? "~/.pyenv/versions/3.13.0") "
                                            + "(pass --python313)"))
            }
            path = python313
        case .venv:
            guard let venvPython else {
                return .failure(PeerSkipped("no Benchmarks/peers/.venv: run Benchmarks/peers/setup.sh"))
            }
            path = venvPython
        }
        for module in peer.modules {
            if let missing = missingModule(module, interpreter: path) { return .failure(PeerSkipped(missing)) }
        }
        return .success(path)
    }

    private func missingModule(_ module: String, interpreter: String) -> String? {
        let key = interpreter + "\u{0}" + module
        if let known = importable[key] { return known }
        let outcome = try? ChildProcess.run([interpreter, "-c", "import \(module)"], timeLimit: 60, quiet: true)
        let missing = outcome?.succeeded == true ? nil : "\(module) does not import (Benchmarks/peers/setup.sh)"
        importable[key] = missing
        return missing
    }
}

/// Why a peer did not run: reported, not a failure.
struct PeerSkipped: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
#endif  // Tools
