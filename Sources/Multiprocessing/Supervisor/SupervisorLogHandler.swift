import Logging

/// The program's log handler, called on the library's logging ``OutputThread`` instead of the thread
/// that logs. The reactor thread logs through it: a log handler is the program's code, and one
/// that blocks (a standard error nobody reads) or takes its time must not hold up any pool.
struct SupervisorLogHandler: LogHandler {
    private var inner: any LogHandler

    /// A logger whose messages reach the handler the program set up (`LoggingSystem.bootstrap`),
    /// on the output thread.
    static func logger(label: String) -> Logger {
        let inner = Logger(label: label).handler
        return Logger(label: label) { _ in SupervisorLogHandler(inner: inner) }
    }

    private init(inner: any LogHandler) {
        self.inner = inner
    }

    func log(event: LogEvent) {
        let inner = inner
        OutputThread.logging.post { inner.log(event: event) }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }
}
