import AsyncHTTPClient
import Multiprocessing

/// The job a worker runs for each page: fetch it with the worker's `HTTPClient` (made by
/// ``StartHTTPClient``), parse its links if it is a 200 HTML page, resolve and normalise them.
///
/// Everything that can go wrong with one page happens here, in the worker: a slow or hung server
/// (the client's timeout ends the request; the pool's per-item timeout is the backstop that kills
/// a worker stuck anywhere else), and a page whose HTML makes the parser trap (the worker dies,
/// the pool charges the crash to this page and starts another worker). The coordinator only
/// sees a ``PageResult`` or a `JobFailure`.
public struct FetchPage: Job {
    /// The HTTP client's deadline for the whole request, body included.
    public var timeoutMilliseconds: Int
    /// A longer body fails the page as a network error (a crawler must not read an endless page).
    public var maxBodyBytes: Int

    public init(timeoutMilliseconds: Int, maxBodyBytes: Int = 4 << 20) {
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxBodyBytes = maxBodyBytes
    }

    public func run(_ request: PageRequest) async throws -> PageResult {
        let client = try WorkerState.get(WorkerHTTPClient.self).client
        var result = PageResult(ticket: request.ticket, response: .status(0), bytes: 0, links: [],
                                unsupportedLinks: 0, invalidLinks: 0, fetchMicroseconds: 0, parseMicroseconds: 0)
        let clock = ContinuousClock()
        let started = clock.now
        var page = Fetched(status: 0, isHTML: false, body: [])
        do {
            page = try await fetch(request.url, with: client)
            result.response = .status(page.status)
        } catch let error as HTTPClientError
                    where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            result.response = .timedOut
        } catch {
            result.response = .networkError(String(describing: error))
        }
        result.bytes = page.body.count
        result.fetchMicroseconds = Self.microseconds(clock.now - started)

        guard result.response == .status(200), page.isHTML else { return result }
        let parseStarted = clock.now
        var seen = Set<CrawlURL>()
        for href in LinkParser.hrefs(in: page.body) {
            switch request.url.resolve(href) {
            case let .url(url):
                if seen.insert(url).inserted { result.links.append(url) }
            case .unsupportedScheme:
                result.unsupportedLinks += 1
            case .invalid:
                result.invalidLinks += 1
            }
        }
        result.parseMicroseconds = Self.microseconds(clock.now - parseStarted)
        return result
    }

    private struct Fetched: Sendable {
        var status: Int
        var isHTML: Bool
        var body: [UInt8]
    }

    /// The page, head and body, within the timeout. The client's own deadline covers the request
    /// until the response head; a server that sends a head and then stalls is caught by racing
    /// the body against the same deadline (the losing read is cancelled, which closes its
    /// connection).
    private func fetch(_ url: CrawlURL, with client: HTTPClient) async throws -> Fetched {
        let timeout = Duration.milliseconds(timeoutMilliseconds)
        let deadline = ContinuousClock.now + timeout
        return try await withThrowingTaskGroup(of: Fetched?.self) { group in
            group.addTask {
                var request = HTTPClientRequest(url: url.description)
                request.headers.add(name: "User-Agent", value: "swift-multiprocessing-crawler/1.0")
                let response = try await client.execute(request, timeout: .milliseconds(Int64(timeoutMilliseconds)))
                let isHTML = response.headers.first(name: "Content-Type")?.lowercased().contains("html") ?? true
                var buffer = try await response.body.collect(upTo: maxBodyBytes)
                return Fetched(status: Int(response.status.code), isHTML: isHTML,
                               body: buffer.readBytes(length: buffer.readableBytes) ?? [])
            }
            group.addTask {
                try await Task.sleep(until: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let fetched = first else {
                throw HTTPClientError.deadlineExceeded
            }
            return fetched
        }
    }

    static func microseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds) * 1_000_000 + Int(duration.components.attoseconds / 1_000_000_000_000)
    }
}
