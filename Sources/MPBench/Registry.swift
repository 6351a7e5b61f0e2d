#if Tools
// MARK: - The scenario registry
//
// Every scenario mp-bench runs, in the order it runs them. To add one (queue throughput, a pipe
// round trip, the shared-memory bulk path, ...): write `Scenarios/YourScenario.swift` with a type
// conforming to `Scenario` and its jobs at file scope, add its Python peer as
// `Benchmarks/python/your_scenario.py` (or return nil from `peerScript`), and list it here.

enum ScenarioRegistry {
    static var all: [any Scenario.Type] {
        [
            MapTiny.self,
            StreamUnordered.self,
            ApplyLatency.self,
            ColdStart.self,
            CPUScaling.self,
            BulkEcho.self,
            BulkEchoShared.self,
            WorkerMemory.self,
            QueueThroughput.self,
            PipeRoundTrip.self,
            UnevenTasks.self,
            NestedValues.self,
            PoolLifecycle.self,
            ImapMemory.self,
            OversizedPools.self,
            Oversubscribed<ApplyLatency>.self,
            Oversubscribed<PipeRoundTrip>.self,
            Oversubscribed<QueueThroughput>.self,
            PostgresTiny.self,
            PostgresRecovery.self,
            PostgresScale.self,
        ]
    }

    /// The scenario of this name, or the one that has a row of this name ("socketpair-floor").
    static func named(_ name: String) -> (any Scenario.Type)? {
        all.first { $0.name == name } ?? all.first { $0.rows.contains { $0.name == name } }
    }
}
#endif  // Tools
