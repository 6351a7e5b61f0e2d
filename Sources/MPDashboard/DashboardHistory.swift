/// The server's own readings of the queues over the last hour, from which it computes the
/// rates of the last minute and the throughput chart (the tables keep no time per task).
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

    /// A queue's tasks per second over the last minute: done, failed, dead.
    func rates(of queue: String) -> (done: Double, failed: Double, dead: Double) {
        // The oldest reading of the last minute that has the queue (it may be newer than the minute).
        guard let last = readings.last, let now = last.ended[queue],
              let first = readings.first(where: { $0.time >= last.time - Self.rateWindow && $0.ended[queue] != nil }),
              let then = first.ended[queue], last.time > first.time else { return (0, 0, 0) }
        let seconds = last.time - first.time
        func rate(_ a: Int, _ b: Int) -> Double { Double(max(0, a - b)) / seconds }
        return (rate(now.done, then.done), rate(now.failed, then.failed), rate(now.dead, then.dead))
    }

    /// A job's ended tasks per second over the last minute (since it was first seen, if later).
    func rate(ofJob id: Int64) -> Double {
        guard let last = readings.last, let now = last.jobs[id],
              let first = readings.first(where: { $0.time >= last.time - Self.rateWindow && $0.jobs[id] != nil }),
              let then = first.jobs[id], last.time > first.time else { return 0 }
        return Double(max(0, now - then)) / (last.time - first.time)
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
