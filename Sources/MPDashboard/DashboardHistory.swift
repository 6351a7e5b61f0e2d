#if Dashboard
/// The server's own readings of the queues over the last hour, from which it computes the
/// rates of the last minute and the throughput chart (counts by state, which cost the database
/// less to read each second than every ended task's time).
struct DashboardHistory: Sendable {
    struct Reading: Sendable {
        /// Seconds on the server's monotonic clock.
        var time: Double
        /// Tasks that ended done, failed and dead, by queue.
        var ended: [String: (done: Int, failed: Int, dead: Int)]
        /// Ended tasks by job (kept for the last ``rateWindow`` seconds only).
        var jobs: [Int64: Int]
    }

    static let span = 3_600.0
    static let rateWindow = 60.0
    static let bucketSeconds = 10

    private(set) var readings: [Reading] = []

    mutating func append(_ reading: Reading) {
        readings.append(reading)
        let oldest = reading.time - Self.span
        if let keep = readings.firstIndex(where: { $0.time >= oldest }), keep > 0 {
            readings.removeFirst(keep)
        }
        for i in readings.indices where readings[i].time < reading.time - Self.rateWindow - 5 && !readings[i].jobs.isEmpty {
            readings[i].jobs = [:]
        }
    }

    /// Per second over the last minute: the increases of `value` between consecutive readings
    /// that both have it, summed (a count that drops, as when retention removes jobs, adds
    /// nothing and does not hide what came after), over the time those readings span.
    private func rate(_ value: (Reading) -> Int?) -> Double {
        guard let last = readings.last else { return 0 }
        var increase = 0
        var seconds = 0.0
        let window = readings.drop { $0.time < last.time - Self.rateWindow }
        for (before, after) in zip(window, window.dropFirst()) {
            guard let then = value(before), let now = value(after) else { continue }
            increase += max(0, now - then)
            seconds += after.time - before.time
        }
        return seconds > 0 ? Double(increase) / seconds : 0
    }

    /// A queue's tasks per second over the last minute: done, failed, dead.
    func rates(of queue: String) -> (done: Double, failed: Double, dead: Double) {
        (rate { $0.ended[queue]?.done }, rate { $0.ended[queue]?.failed }, rate { $0.ended[queue]?.dead })
    }

    /// A job's ended tasks per second over the last minute (since it was first seen, if later).
    func rate(ofJob id: Int64) -> Double {
        rate { $0.jobs[id] }
    }

    /// Tasks per second that ended (all queues together), in buckets over the last hour, oldest first.
    func throughput() -> [Double?] {
        let buckets = Int(Self.span) / Self.bucketSeconds
        var ended = [Int](repeating: 0, count: buckets)
        var covered = [Double](repeating: 0, count: buckets)
        guard let last = readings.last else { return Array(repeating: nil, count: buckets) }
        let start = last.time - Self.span
        // Per queue, between readings that both have it (a queue first seen is no burst of work).
        func delta(_ before: Reading, _ after: Reading) -> Int {
            after.ended.reduce(0) { sum, entry in
                guard let then = before.ended[entry.key] else { return sum }
                let (now, was) = (entry.value, then)
                return sum + (now.done + now.failed + now.dead) - (was.done + was.failed + was.dead)
            }
        }
        for (before, after) in zip(readings, readings.dropFirst()) {
            let bucket = min(buckets - 1, max(0, Int((after.time - start) / Double(Self.bucketSeconds))))
            // Removed jobs (retention) lower the counts: no negative throughput.
            ended[bucket] += max(0, delta(before, after))
            covered[bucket] += after.time - before.time
        }
        return (0..<buckets).map { covered[$0] > 0 ? Double(ended[$0]) / covered[$0] : nil }
    }
}
#endif  // Dashboard
