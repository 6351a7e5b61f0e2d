#if Postgres
import Multiprocessing

/// One iteration of a distributed `imap` or `imapUnordered`: submits the job when first asked,
/// then reads its results only as fast as the loop takes them (the collector's pages), so that
/// a slow reader holds a bounded number of results.
///
/// In input order, a result that finished before its predecessors waits here until they come:
/// what waits is bounded by how far completion runs ahead of input order, not by the reader.
///
/// A failure, a cancellation, or a loop left early (the iteration dropped before its end)
/// cancels what is left of the job. One reader calls ``next()`` at a time (an iterator's rule).
actor StreamedCall<Output: Codable & Sendable> {
    private let pool: DistributedProcessPool
    private let ordered: Bool
    private let progress: ProgressReporter?
    private let submit: @Sendable () async throws -> DistributedJob<Output>
    private var job: DistributedJob<Output>?
    private var collector: ResultCollector?
    private var waiting: [Int: Output] = [:]
    private var nextIndex = 0
    private var ended = false

    init(pool: DistributedProcessPool, ordered: Bool, progress: ProgressReporter?,
         submit: @escaping @Sendable () async throws -> DistributedJob<Output>) {
        self.pool = pool
        self.ordered = ordered
        self.progress = progress
        self.submit = submit
    }

    deinit {
        // Dropped before its end: the loop was left early, and nobody wants the rest.
        if !ended, let id = job?.id {
            let pool = pool
            Task.detached { try? await pool.cancel(jobID: id) }
        }
    }

    /// The next output; nil after the last.
    func next() async throws -> Output? {
        guard !ended else { return nil }
        do {
            let collector = try await started()
            while true {
                if ordered, let ready = waiting.removeValue(forKey: nextIndex) {
                    nextIndex += 1
                    return ready
                }
                guard let row = try await collector.next() else {
                    try Task.checkCancellation()
                    ended = true
                    return nil
                }
                let output = try row.result(as: Output.self, jobName: job?.jobName ?? "").get()
                progress?.advance()
                guard ordered else { return output }
                waiting[row.index] = output
            }
        } catch {
            ended = true
            if let job { await pool.cancelAfterFailure(job.id) }
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    private func started() async throws -> ResultCollector {
        if let collector { return collector }
        let job = try await submit()
        let collector = ResultCollector(pool: pool, jobID: job.id, total: job.total)
        (self.job, self.collector) = (job, collector)
        return collector
    }
}
#endif  // Postgres
