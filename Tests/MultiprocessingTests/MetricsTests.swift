import Metrics
import MetricsTestKit
import Testing
@testable import Multiprocessing

/// A pool's counts reach the metrics backend the program bootstrapped.
@Suite("Metrics", .timeLimit(.minutes(2)))
struct MetricsTests {
    /// The process's backend: swift-metrics is bootstrapped once per process.
    static let metrics: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()

    @Test("counters, the worker gauge and the task timer follow the pool's statistics")
    func poolMetricsFollowStatistics() async throws {
        let metrics = Self.metrics
        let dimensions = [("pool", "metrics-test")]
        func total(_ name: String) throws -> Int64 {
            try metrics.expectCounter("multiprocessing_pool_\(name)_total", dimensions).totalValue
        }
        try await withProcessPool(workers: 2, options: .init(retries: 1, metricsName: "metrics-test")) { pool in
            let results = try await pool.mapResults(AlwaysAbortOn(bad: [5]), Array(0..<40), chunkSize: 4)
            #expect(results.filter { (try? $0.get()) == nil }.count == 1, "item 5 fails, after its retry")
            let statistics = await pool.statistics()
            #expect(statistics.workerCrashes == 2 && statistics.retries == 1)
            #expect(try total("tasks_completed") == Int64(statistics.tasksCompleted))
            #expect(try total("worker_crashes") == Int64(statistics.workerCrashes))
            #expect(try total("retries") == Int64(statistics.retries))
            #expect(try total("workers_started") == Int64(statistics.workersStarted))
            let durations = try metrics.expectTimer("multiprocessing_pool_task_duration_seconds", dimensions).values
            #expect(durations.count == statistics.tasksCompleted, "one duration per finished task")
            #expect(durations.allSatisfy { $0 > 0 })
            let workers = try metrics.expectGauge("multiprocessing_pool_workers", dimensions).lastValue
            #expect(workers == 2, "the two workers, the crashed ones replaced")
        }
    }
}
