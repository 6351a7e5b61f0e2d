import Multiprocessing

/// A web crawler on a process pool.
///
/// **Who does what.** The workers fetch and parse: each runs ``FetchPage`` on one URL at a time
/// with its own `HTTPClient`, and returns the page's status, size, timing and resolved links. The
/// parent coordinates (``CrawlCoordinator``): it de-duplicates URLs, keeps depths and the depth
/// limit, holds back a host's URLs while it has `perHostLimit` pages in flight, retries 5xx
/// answers after a growing wait, keeps a host's slot a moment after a timeout, and feeds the URLs
/// to the pool as they are found.
///
/// **How the frontier feeds the pool.** One `imapUnorderedResults` call over an `AsyncStream` of
/// requests that the coordinator pushes into: results come back as they complete, a failure (a
/// crashed or timed-out worker) arrives as a `JobFailure` that names its request without ending
/// the stream, and the stream ends when the coordinator finishes it. One call for the whole crawl
/// keeps one job definition and one result channel; a `submit` per page would need a task per
/// page to await each handle and would add nothing the stream lacks.
public enum Crawler {
    public static func crawl(from root: CrawlURL, options: CrawlOptions = CrawlOptions()) async throws -> CrawlReport {
        let origins = Set([root.origin] + options.otherOrigins.compactMap { CrawlURL($0)?.origin })
        let rules = Frontier.Rules(maxDepth: options.maxDepth, perHostLimit: options.perHostLimit, origins: origins)
        let (requests, continuation) = AsyncStream.makeStream(of: PageRequest.self)
        let progress = options.showsProgress ? ProgressReporter(label: "crawl") : nil
        let coordinator = CrawlCoordinator(rules: rules, options: options, stream: continuation, progress: progress)
        let job = FetchPage(timeoutMilliseconds: milliseconds(options.pageTimeout))
        let poolOptions = ProcessPool.Options(initializer: StartHTTPClient(),
                                              timeout: options.pageTimeout + options.workerTimeoutMargin)
        let started = ContinuousClock.now
        do {
            try await withProcessPool(workers: options.workers, options: poolOptions) { pool in
                // No pool retries: a page that crashed its worker would crash the next one too.
                let results = try pool.imapUnorderedResults(job, requests, retries: 0)
                coordinator.start(at: root)
                try await withThrowingDiscardingTaskGroup { timers in
                    for try await result in results {
                        for followup in try coordinator.handle(result) {
                            timers.addTask {
                                try await Task.sleep(for: followup.delay)
                                coordinator.perform(followup)
                            }
                        }
                    }
                }
            }
        } catch {
            coordinator.abandon()
            throw error
        }
        progress?.finish()
        return coordinator.report(root: root, elapsed: ContinuousClock.now - started)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds) * 1000 + Int(duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
