#if Tools
#if canImport(Glibc)
import Glibc
#endif

// CPU seconds, not only wall time: what the parent and every worker spent on a timed part.
// A spinning wait shows here as CPU that did no work; throughput per CPU-second is the figure
// that makes a spin pay for itself.

/// The CPU time (user + system, every thread, the dead ones too) another process has used so
/// far, from its process CPU clock (`clock_getcpuclockid`); nil once it is gone.
func cpuSeconds(ofProcess pid: Int32) -> Double? {
    var clock = clockid_t()
    guard clock_getcpuclockid(pid, &clock) == 0 else { return nil }
    var now = timespec()
    guard clock_gettime(clock, &now) == 0 else { return nil }
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Reads the CPU clocks of this process and of a set of workers at the start of a timed part;
/// ``metrics()`` at its end gives what each spent in between. The Python peers do the same
/// (`mpbench_common.CPUMeter`), from the same clocks.
struct CPUMeter {
    private let workers: [Int32]
    private let parentStart: Double
    private let workersStart: [Double?]

    init(workers: [Int32]) {
        self.workers = workers
        workersStart = workers.map { cpuSeconds(ofProcess: $0) }
        parentStart = processCPUSeconds()
    }

    /// `cpu_parent_s`, `cpu_workers_s` and their sum `cpu_s`. A worker that is gone by the
    /// end cannot be read: the run fails rather than report less CPU than was spent.
    func metrics() throws -> Metrics {
        let parent = processCPUSeconds() - parentStart
        var total = 0.0
        for (pid, start) in zip(workers, workersStart) {
            guard let start, let end = cpuSeconds(ofProcess: pid) else {
                throw BenchError.failed("cannot read the CPU clock of worker \(pid)")
            }
            total += end - start
        }
        return ["cpu_parent_s": parent, "cpu_workers_s": total, "cpu_s": parent + total]
    }
}

extension Metrics {
    /// These measurements with `other`'s added (`other` wins a clash).
    func merging(_ other: Metrics) -> Metrics { merging(other) { _, new in new } }
}

/// Seconds the threads of these processes have spent runnable but waiting for a CPU so far (the
/// second field of /proc/PID/task/TID/schedstat): where a call's time goes when it neither runs
/// nor sleeps, as behind busy threads. Threads that exit take their share with them.
func runQueueWaitSeconds(of pids: [Int32]) -> Double {
    var total: UInt64 = 0
    for stat in threadFiles(of: pids, named: "schedstat") {
        let fields = stat.split(separator: " ")
        if fields.count >= 2, let waited = UInt64(fields[1]) { total &+= waited }
    }
    return Double(total) / 1e9
}
#endif  // Tools
