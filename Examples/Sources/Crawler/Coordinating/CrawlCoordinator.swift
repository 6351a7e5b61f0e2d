import Multiprocessing
import Synchronization

/// The parent's side of the crawl. It owns the ``Frontier`` and the stream of requests that
/// feeds the pool: each result that comes back is turned into the next requests (new links, a
/// retry after its wait, a host slot set free), pushed into the stream at once. The stream ends
/// when nothing is in flight, waiting or queued.
///
/// Two kinds of task call in: the loop that reads results, and the timers (retries, the hold on a
/// slot after a timeout); a mutex keeps their turns apart. Requests are numbered and yielded
/// under that same lock, so a request's number is its position in the stream, which is what a
/// failure's `JobFailure.index` gives back.
final class CrawlCoordinator: Sendable {
    private struct State {
        var frontier: Frontier
        /// Node number of each request, by request number.
        var requests: [Int] = []
        var records: [Int: PageRecord] = [:]
        var linksFound = 0
        var unsupportedLinks = 0
        var invalidLinks = 0
        var ended = false
    }

    private let state: Mutex<State>
    private let stream: AsyncStream<PageRequest>.Continuation
    private let options: CrawlOptions
    private let progress: ProgressReporter?

    init(rules: Frontier.Rules, options: CrawlOptions, stream: AsyncStream<PageRequest>.Continuation,
         progress: ProgressReporter?) {
        state = Mutex(State(frontier: Frontier(rules: rules)))
        self.stream = stream
        self.options = options
        self.progress = progress
    }

    func start(at root: CrawlURL) {
        state.withLock { state in
            state.frontier.discover(root, depth: 0)
            dispatch(&state)
        }
    }

    /// Something to do later, on a timer of the crawl's.
    enum Followup: Sendable {
        /// Put a page back in its host's queue (a retry after a 5xx).
        case retry(page: Int, after: Duration)
        /// Give back a host's slot kept after a timeout.
        case releaseSlot(origin: String, after: Duration)

        var delay: Duration {
            switch self {
            case let .retry(_, delay), let .releaseSlot(_, delay): return delay
            }
        }
    }

    /// Takes one result; returns what to do later.
    func handle(_ result: Result<PageResult, JobFailure>) throws -> [Followup] {
        try state.withLock { state in
            var followups: [Followup] = []
            switch result {
            case let .success(page):
                let number = state.requests[page.ticket]
                if let delay = retryDelay(page.response, attempts: state.frontier.nodes[number].attempts) {
                    state.frontier.backOff(number)
                    followups.append(.retry(page: number, after: delay))
                } else {
                    let holdsSlot = page.response == .timedOut
                    finish(number, page, holdingSlot: holdsSlot, in: &state)
                    if holdsSlot { followups.append(cooldown(number, in: state)) }
                }
            case let .failure(failure):
                // Cancelling or terminating the pool fails what was left: that ends the crawl.
                guard let index = failure.index, index < state.requests.count,
                      failure.reason != .cancelled, failure.reason != .poolTerminated else { throw failure }
                let number = state.requests[index]
                let outcome = PageOutcome(failure)
                let holdsSlot = outcome.kind == .timedOut
                state.frontier.finish(number, links: [], holdingSlot: holdsSlot)
                if holdsSlot { followups.append(cooldown(number, in: state)) }
                record(number, outcome, in: &state)
            }
            dispatch(&state)
            return followups
        }
    }

    /// Its time has come.
    func perform(_ followup: Followup) {
        state.withLock { state in
            switch followup {
            case let .retry(number, _): state.frontier.retry(number)
            case let .releaseSlot(origin, _): state.frontier.releaseSlot(of: origin)
            }
            dispatch(&state)
        }
    }

    /// Ends the stream of requests early (the crawl was cancelled or failed).
    func abandon() {
        state.withLock { state in
            state.ended = true
            stream.finish()
        }
    }

    func report(root: CrawlURL, elapsed: Duration) -> CrawlReport {
        state.withLock { state in
            // Depths as they are now: a shorter path may have been found after a page was done.
            let pages = Dictionary(uniqueKeysWithValues: state.records.map { number, record in
                var record = record
                record.depth = state.frontier.nodes[number].depth
                return (record.url, record)
            })
            let beyond = state.frontier.nodes.filter { $0.state == .tooDeep }.map(\.url).sorted()
            return CrawlReport(root: root, options: options, pages: pages, elapsed: elapsed,
                               linksFound: state.linksFound, externalLinks: state.frontier.externalLinks,
                               unsupportedLinks: state.unsupportedLinks, invalidLinks: state.invalidLinks,
                               beyondDepth: beyond, peakInFlight: state.frontier.peakInFlight)
        }
    }

    // MARK: Under the lock

    /// 5xx answers and failed connections are tried again, while attempts remain.
    private func retryDelay(_ response: PageResult.Response, attempts: Int) -> Duration? {
        guard attempts <= options.maxRetries else { return nil }
        switch response {
        case let .status(code) where (500..<600).contains(code): return options.retryDelay(afterAttempt: attempts)
        case .networkError: return options.retryDelay(afterAttempt: attempts)
        default: return nil
        }
    }

    private func cooldown(_ number: Int, in state: State) -> Followup {
        .releaseSlot(origin: state.frontier.nodes[number].url.origin, after: options.cooldownAfterTimeout)
    }

    private func finish(_ number: Int, _ page: PageResult, holdingSlot: Bool, in state: inout State) {
        let outcome: PageOutcome
        switch page.response {
        case let .status(code): outcome = .status(code)
        case .timedOut: outcome = .timedOut("no complete answer within \(options.pageTimeout)")
        case let .networkError(message): outcome = .networkError(message)
        }
        state.frontier.finish(number, links: page.links, holdingSlot: holdingSlot)
        state.linksFound += page.links.count + page.unsupportedLinks + page.invalidLinks
        state.unsupportedLinks += page.unsupportedLinks
        state.invalidLinks += page.invalidLinks
        record(number, outcome, in: &state, page: page)
    }

    private func record(_ number: Int, _ outcome: PageOutcome, in state: inout State, page: PageResult? = nil) {
        let node = state.frontier.nodes[number]
        state.records[number] = PageRecord(
            url: node.url, depth: node.depth, outcome: outcome, attempts: node.attempts, bytes: page?.bytes ?? 0,
            links: (page?.links.count ?? 0) + (page?.unsupportedLinks ?? 0) + (page?.invalidLinks ?? 0),
            fetchMicroseconds: page?.fetchMicroseconds ?? 0, parseMicroseconds: page?.parseMicroseconds ?? 0)
        progress?.advance(failed: outcome.kind == .ok ? 0 : 1)
    }

    /// Sends what the hosts' slots allow; ends the stream once the crawl has nothing left.
    private func dispatch(_ state: inout State) {
        guard !state.ended else { return }
        for number in state.frontier.takeDispatchable() {
            let ticket = state.requests.count
            state.requests.append(number)
            stream.yield(PageRequest(ticket: ticket, url: state.frontier.nodes[number].url))
        }
        if state.frontier.isDrained {
            state.ended = true
            stream.finish()
        }
    }
}
