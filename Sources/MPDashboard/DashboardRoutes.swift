#if Dashboard
import Foundation
import Hummingbird
import MultiprocessingPostgres

/// The dashboard's routes: the page, the read-only endpoints (served from the sampler's latest
/// reading), a job's detail (read when asked), and the actions.
struct DashboardRoutes: Sendable {
    let sampler: DashboardSampler
    let policy: ActionPolicy
    let redactor: Redactor

    /// The endpoints served from the latest reading, with their content types.
    static let readings: [(path: String, type: String)] = [
        ("/api/dashboard", json), ("/api/config", json), ("/api/queues", json), ("/api/hosts", json),
        ("/api/jobs", json), ("/api/dead", json), ("/api/throughput", json), ("/api/latency", json),
        ("/metrics", "text/plain; version=0.0.4; charset=utf-8"),
    ]
    static let json = "application/json; charset=utf-8"

    /// The header every action must carry: a page of another site cannot send it without the
    /// browser asking first (a CORS preflight, which this server never allows), so a loopback
    /// dashboard open to actions cannot be driven by a page the user happens to visit.
    static let actionHeader = HTTPFields.Element.Name("X-Requested-By")!
    static let actionHeaderValue = "mp-dashboard"

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorScrubbing(redactor: redactor))
        router.get("/") { _, _ in
            Self.response(.ok, type: "text/html; charset=utf-8", DashboardPage.html, redactor: redactor)
        }
        for (path, type) in Self.readings {
            router.get(RouterPath(path)) { _, _ in
                let (body, error) = sampler.bodies.withLock { ($0[path], $0["error"]) }
                guard let body else {
                    let message = error.map { "the queues could not be read: \($0)" } ?? "no reading yet"
                    return Self.message(.serviceUnavailable, false, message, redactor: redactor)
                }
                return Self.response(.ok, type: type, body, redactor: redactor)
            }
        }
        router.get("/api/jobs/:id") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self) else {
                return Self.message(.badRequest, false, "a job id is a number", redactor: redactor)
            }
            guard let (queue, pool, job) = try await findJob(id) else {
                return Self.message(.notFound, false, "no job \(id) in the queues shown", redactor: redactor)
            }
            let letters = try await pool.deadLetters(jobID: id)
            let detail = JobDetailJSON(job: await sampler.jobJSON(queue: queue, job),
                                       deadLetters: letters.map { DeadLetterJSON(queue: queue, $0) })
            return Self.response(.ok, type: Self.json, await sampler.encode(detail), redactor: redactor)
        }
        router.post("/api/jobs/:id/cancel") { request, context in
            if let refusal = refusal(request) { return refusal }
            guard let id = context.parameters.get("id", as: Int64.self) else {
                return Self.message(.badRequest, false, "a job id is a number", redactor: redactor)
            }
            guard let (_, pool, job) = try await findJob(id) else {
                return Self.message(.notFound, false, "no job \(id) in the queues shown", redactor: redactor)
            }
            guard job.state == "running" || job.state == "loading" else {
                return Self.message(.conflict, false, "job \(id) is \(job.state): only an open job can be cancelled", redactor: redactor)
            }
            try await pool.cancel(jobID: id)
            return Self.message(.ok, true, "job \(id) cancelled", redactor: redactor)
        }
        router.post("/api/dead/:job/:index/retry") { request, context in
            if let refusal = refusal(request) { return refusal }
            guard let id = context.parameters.get("job", as: Int64.self),
                  let index = context.parameters.get("index", as: Int.self) else {
                return Self.message(.badRequest, false, "a job id and a task index are numbers", redactor: redactor)
            }
            guard let (_, pool, _) = try await findJob(id) else {
                return Self.message(.notFound, false, "no job \(id) in the queues shown", redactor: redactor)
            }
            guard try await pool.retryDeadTask(jobID: id, index: index) else {
                return Self.message(.conflict, false, "task \(index) of job \(id) is not a dead letter of an open or finished job",
                                    redactor: redactor)
            }
            return Self.message(.ok, true, "task \(index) of job \(id) queued again", redactor: redactor)
        }
        router.post("/api/hosts/:id/drain") { request, context in
            if let refusal = refusal(request) { return refusal }
            let id = try context.parameters.require("id")
            guard let queue = await sampler.queue(ofHost: id), try await sampler.pool(queue).drainHost(id: id) else {
                return Self.message(.notFound, false, "no host \(id) in the queues shown", redactor: redactor)
            }
            return Self.message(.ok, true, "host \(id) asked to drain", redactor: redactor)
        }
        return router
    }

    /// The job among the queues shown, with its queue's pool.
    private func findJob(_ id: Int64) async throws -> (String, DistributedProcessPool, JobSummary)? {
        for queue in try await sampler.knownQueues() {
            let pool = try await sampler.pool(queue)
            if let job = try await pool.jobSummary(id: id) { return (queue, pool, job) }
        }
        return nil
    }

    /// Why an action is refused, or nil if it may go ahead.
    func refusal(_ request: Request) -> Response? {
        switch policy {
        case .readOnly:
            return Self.message(.forbidden, false, "read-only: this dashboard was started without --token and is "
                                + "reachable from other machines, so it takes no actions", redactor: redactor)
        case .loopbackOpen:
            // A page of another site whose name was made to resolve to 127.0.0.1 (DNS rebinding)
            // would be of this origin: its requests name that site in Host.
            let host = Self.hostName(ofAuthority: request.head.authority ?? "")
            guard DashboardOptions.isLoopback(host) else {
                return Self.message(.forbidden, false, "without --token, actions are taken only from pages served as "
                                    + "localhost or a loopback address, not \(host)", redactor: redactor)
            }
        case let .token(token):
            let given = request.headers[.authorization].flatMap { value -> String? in
                value.hasPrefix("Bearer ") ? String(value.dropFirst("Bearer ".count)) : nil
            }
            guard let given, Self.constantTimeEqual(given, token) else {
                return Self.message(.unauthorized, false, "this action needs the dashboard's token (Authorization: Bearer ...)",
                                    redactor: redactor)
            }
        }
        guard request.headers[Self.actionHeader] == Self.actionHeaderValue else {
            return Self.message(.forbidden, false, "an action needs the header \(Self.actionHeader): \(Self.actionHeaderValue)",
                                redactor: redactor)
        }
        return nil
    }

    /// `name` of `name:port`, `[::1]:port` → `::1`.
    static func hostName(ofAuthority authority: String) -> String {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<end])
        }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "").lowercased()
    }

    /// Compares without stopping at the first difference: the time taken tells nothing of the token.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }

    static func response(_ status: HTTPResponse.Status, type: String, _ body: String, redactor: Redactor) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        // Everything the page uses is its own: no other origin, no framing by another site.
        headers[HTTPFields.Element.Name("Content-Security-Policy")!] =
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'"
        return Response(status: status, headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(string: redactor.scrub(body))))
    }

    static func message(_ status: HTTPResponse.Status, _ ok: Bool, _ text: String, redactor: Redactor) -> Response {
        let data = (try? JSONEncoder().encode(ActionJSON(ok: ok, message: text))) ?? Data()
        return response(status, type: json, String(decoding: data, as: UTF8.self), redactor: redactor)
    }
}

/// Errors thrown by a handler (a database that cannot be read) answer 500 with their text,
/// scrubbed: Hummingbird's own answer would not say what went wrong.
struct ErrorScrubbing: RouterMiddleware {
    typealias Context = BasicRequestContext
    let redactor: Redactor

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            throw error
        } catch {
            return DashboardRoutes.message(.internalServerError, false, String(describing: error), redactor: redactor)
        }
    }
}
#endif  // Dashboard
