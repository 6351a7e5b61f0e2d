#if Postgres
import MultiprocessingPostgresChaos

/// A network namespace joined to this one by a veth pair (the fault runner's: see
/// MultiprocessingPostgresChaos), for hosts that reach the database as from another machine.
typealias NetworkNamespace = MultiprocessingPostgresChaos.NetworkNamespace
#endif  // Postgres
