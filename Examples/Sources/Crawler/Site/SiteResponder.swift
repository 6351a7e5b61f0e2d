import Hummingbird
import Synchronization

/// Answers one host's requests: routes the path through the model, then behaves as the page's
/// kind says (waits, hangs, fails, fails for a while), and counts everything in ``SiteCounters``.
struct SiteResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let host: Int
    let model: SiteModel
    let ports: PortBook
    let counters: SiteCounters

    func respond(to request: Request, context: Context) async throws -> Response {
        let target = SiteModel.Target(host: host, path: request.uri.path, query: request.uri.query)
        let requestCount = counters.begin(target)
        var bodyEndsTheRequest = false
        defer { if !bodyEndsTheRequest { counters.end(host: host) } }
        let resource = model.route(target)
        switch resource {
        case .notFound:
            return page(SiteHTML(model: model, ports: ports.ports).render(resource, at: target), status: .notFound)
        case .list:
            break
        case let .page(id):
            switch model.kind(of: id) {
            case .normal, .trap:
                break
            case let .slow(milliseconds):
                try await Task.sleep(for: .milliseconds(milliseconds))
            case .hung:
                bodyEndsTheRequest = true
                return stalledPage()
            case .broken:
                return page("<html><body><h1>500</h1>database on fire</body></html>", status: .internalServerError)
            case let .flaky(failures):
                if requestCount <= failures {
                    return page("<html><body><h1>503</h1>try again</body></html>", status: .serviceUnavailable)
                }
            }
        }
        return page(SiteHTML(model: model, ports: ports.ports).render(resource, at: target), status: .ok)
    }

    /// A page that starts and never finishes: the head at once, then a space now and then for
    /// `hangMilliseconds`. The request counts as served until the body ends, which is when the
    /// client has closed the connection (the next write fails: with HTTP/1.1 half-closure, that
    /// is the only way the server learns it) or the hang is over.
    private func stalledPage() -> Response {
        let (counters, host) = (counters, host)
        let hang = Duration.milliseconds(model.configuration.hangMilliseconds)
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody { writer in
            defer { counters.end(host: host) }
            let deadline = ContinuousClock.now + hang
            try await writer.write(ByteBuffer(string: "<html><body>"))
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
                try await writer.write(ByteBuffer(string: " "))
            }
            try await writer.finish(nil)
        })
    }

    private func page(_ html: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}

/// The hosts' ports, known once their servers are listening (pages link across hosts, so each
/// server needs the other's port).
final class PortBook: Sendable {
    private let state: Mutex<[Int]>

    init(hosts: Int) {
        state = Mutex(Array(repeating: 0, count: hosts))
    }

    var ports: [Int] { state.withLock { $0 } }

    func set(_ port: Int, forHost host: Int) {
        state.withLock { $0[host] = port }
    }
}
