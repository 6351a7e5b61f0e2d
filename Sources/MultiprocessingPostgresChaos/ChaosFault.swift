#if Postgres
/// A fault the runner injects into a distributed job, at seeded random points of it.
public enum ChaosFault: String, CaseIterable, Sendable, Codable {
    /// The server stopped (fast: connections dropped), down for up to 2.5 s, started again.
    case serverRestart = "restart"
    /// The postmaster killed with SIGKILL (a crash, the OOM killer), started again (crash recovery).
    case serverKill = "kill"
    /// A host holding tasks frozen with SIGSTOP past its lease (its tasks run elsewhere), then resumed.
    case hostFreeze = "freeze"
    /// A host holding tasks cut off past its lease (its network namespace's link taken down:
    /// its connections hang, nothing closes them), then reconnected.
    case hostCut = "cut"
    /// A host holding tasks killed with SIGKILL, and a replacement started.
    case hostKill = "host-kill"
    /// Outcomes PostgreSQL cannot store as they are: errors with NUL bytes and a megabyte of
    /// text, crashes whose stderr holds NUL bytes and invalid UTF-8.
    case poison
    /// A host of another build joins the queue mid-job, and a job of that build is submitted:
    /// each build's tasks must run on its own hosts only.
    case mixedBuild = "mixed-build"
    /// A large job (``ChaosRunner/Options/largeTasks``) through server restarts.
    case large

    /// The faults that need the server's folder (to stop, kill and start it).
    public var needsServerControl: Bool { [.serverRestart, .serverKill, .large, .hostCut].contains(self) }

    /// The faults that need network namespaces (root and iproute2).
    public var needsNamespaces: Bool { self == .hostCut }

    /// Whether the fault is a host's (it has a victim whose tasks are stranded for a while).
    var isHostFault: Bool { [.hostFreeze, .hostCut, .hostKill].contains(self) }
}
#endif  // Postgres
