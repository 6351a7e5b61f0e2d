/// How a ``ProcessActorSystem`` supervises one actor's process.
public struct ProcessActorOptions: Sendable {
    /// How many times the actor's process is started again after it dies (a crash, a timeout);
    /// 0 (the default) never. After a restart the actor is fresh (its `init(actorSystem:)`), under
    /// the same ``ProcessActorID``. Ray calls this `max_restarts`.
    public var maxRestarts: Int
    /// The wait before the first restart; it doubles for each further one, up to ``maxBackoff``.
    public var backoff: Duration
    /// The longest wait between restarts.
    public var maxBackoff: Duration
    /// How long one call may run, from when the actor begins it (calls run one at a time, in
    /// order); nil for no limit. A call that runs longer fails with `JobFailure.Reason.timedOut`
    /// and its process is killed (and restarted, if restarts remain).
    public var callTimeout: Duration?

    /// Options with no restart, a back-off of 50 ms doubling up to 5 s, and no call timeout,
    /// unless given (each parameter is the property of the same name).
    public init(maxRestarts: Int = 0, backoff: Duration = .milliseconds(50), maxBackoff: Duration = .seconds(5),
                callTimeout: Duration? = nil) {
        self.maxRestarts = maxRestarts
        self.backoff = backoff
        self.maxBackoff = maxBackoff
        self.callTimeout = callTimeout
    }

    /// The wait before restart number `n` (1 for the first).
    func delay(beforeRestart n: Int) -> Duration {
        var wait = backoff
        for _ in 1..<max(n, 1) where wait < maxBackoff { wait = wait * 2 }
        return min(wait, maxBackoff)
    }
}
