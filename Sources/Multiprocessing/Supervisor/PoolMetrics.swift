import Metrics

/// A pool's counts as swift-metrics metrics, dimension `pool` = ``ProcessPool/Options/metricsName``:
/// recorded through whatever backend the program bootstrapped (none, as when the pool started:
/// a pool records nothing). Confined to the reactor thread, as the statistics they follow.
struct PoolMetrics {
    private let workersStarted: Counter
    private let workerCrashes: Counter
    private let timeouts: Counter
    private let retries: Counter
    private let workersRecycled: Counter
    private let tasksCompleted: Counter
    private let transientSpawnFailures: Counter
    private let workers: Gauge
    private let taskDuration: Timer

    init(name: String) {
        let dimensions = [("pool", name)]
        func counter(_ label: String) -> Counter { Counter(label: "multiprocessing_pool_\(label)_total", dimensions: dimensions) }
        workersStarted = counter("workers_started")
        workerCrashes = counter("worker_crashes")
        timeouts = counter("timeouts")
        retries = counter("retries")
        workersRecycled = counter("workers_recycled")
        tasksCompleted = counter("tasks_completed")
        transientSpawnFailures = counter("transient_spawn_failures")
        workers = Gauge(label: "multiprocessing_pool_workers", dimensions: dimensions)
        taskDuration = Timer(label: "multiprocessing_pool_task_duration_seconds", dimensions: dimensions,
                             preferredDisplayUnit: .seconds)
    }

    /// Counts what changed between two readings of the statistics.
    func follow(from old: ProcessPool.Statistics, to new: ProcessPool.Statistics) {
        func add(_ counter: Counter, _ before: Int, _ after: Int) {
            if after > before { counter.increment(by: after - before) }
        }
        add(workersStarted, old.workersStarted, new.workersStarted)
        add(workerCrashes, old.workerCrashes, new.workerCrashes)
        add(timeouts, old.timeouts, new.timeouts)
        add(retries, old.retries, new.retries)
        add(workersRecycled, old.workersRecycled, new.workersRecycled)
        add(tasksCompleted, old.tasksCompleted, new.tasksCompleted)
        add(transientSpawnFailures, old.transientSpawnFailures, new.transientSpawnFailures)
    }

    /// The pool's live workers, starting ones included.
    func workerCount(_ count: Int) { workers.record(count) }

    /// A task's time from being sent to a worker until its last result came back.
    func taskFinished(nanoseconds: UInt64) { taskDuration.recordNanoseconds(Int64(clamping: nanoseconds)) }
}
