#if Postgres
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MultiprocessingPostgresChaos
import Synchronization
import Testing

/// `mp-postgres dashboard` started by a test, on a port the system picks; every body it
/// answered is kept, for the check that none holds a secret.
final class DashboardProcess: Sendable {
    static var executable: String { SpawnedProgram.packageExecutable("mp-postgres") }

    let program: SpawnedProgram
    /// `http://127.0.0.1:<port>/`.
    let base: String
    let bodies = Mutex<[(String, String)]>([])

    /// The URL goes in the environment, as the README advises (it keeps the password out of the process list).
    init(url: String, arguments: [String]) async throws {
        program = try SpawnedProgram(Self.executable, arguments: ["dashboard", "--port", "0"] + arguments,
                                     environment: ["MULTIPROCESSING_POSTGRES_URL": url])
        let line = await program.line(startingWith: "dashboard listening on ", timeout: .seconds(60))
        let address = try #require(line?.split(separator: " ").dropFirst(3).first, "the dashboard did not start: \(program.log)")
        // Bound to every address, it is reached through loopback.
        base = String(address).replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
    }

    struct Reply: Sendable {
        var status: Int
        var body: String
    }

    func request(_ method: String, _ path: String, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: base + path.dropFirst())!)
        request.httpMethod = method
        request.timeoutInterval = 30
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let reply = Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self))
        bodies.withLock { $0.append(("\(method) \(path)", reply.body)) }
        return reply
    }

    func get(_ path: String) async throws -> Reply { try await request("GET", path) }

    /// An action: with the token if given, and the header the page sends unless `marked` is false.
    func post(_ path: String, token: String?, marked: Bool = true) async throws -> Reply {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if marked { headers["X-Requested-By"] = "mp-dashboard" }
        return try await request("POST", path, headers: headers)
    }

    func decode<T: Decodable>(_ type: T.Type, _ path: String) async throws -> T {
        let reply = try await get(path)
        #expect(reply.status == 200, "\(path): \(reply.status) \(reply.body)")
        return try JSONDecoder().decode(T.self, from: Data(reply.body.utf8))
    }

    /// The endpoint's value once `ready` holds (the server reads the queues once a second), or
    /// the last one read after `timeout`.
    func eventually<T: Decodable>(_ type: T.Type, _ path: String, timeout: Duration = .seconds(15),
                                  _ ready: (T) -> Bool) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            let reply = try await get(path)
            if reply.status == 200, let value = try? JSONDecoder().decode(T.self, from: Data(reply.body.utf8)) {
                if ready(value) || ContinuousClock.now > deadline { return value }
            } else if ContinuousClock.now > deadline {
                return try JSONDecoder().decode(T.self, from: Data(reply.body.utf8))
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

// The endpoints' JSON as a client reads it (the test's own types: a renamed field fails here).
struct DashboardQueue: Decodable {
    var queue: String
    var pending, running, done, failed, dead, cancelled, duplicates, openJobs: Int
    var doneRate, failedRate, deadRate: Double
}

struct DashboardHost: Decodable {
    var id: String
    var queue: String
    var pid, workers, running: Int
    var build: String
    var secondsSinceSeen: Double
}

struct DashboardJob: Decodable {
    var id: Int64
    var state: String
    var submitter: String?
    var total, done, dead, running: Int
    var progress: Double
    var etaSeconds: Double?
}

struct DashboardDeadLetter: Decodable {
    struct Attempt: Decodable {
        var cause: String
        var host: String
        var stderrTail: [String]
    }
    var jobID: Int64
    var index: Int
    var attempts: [Attempt]
}

struct DashboardJobDetail: Decodable {
    var job: DashboardJob
    var deadLetters: [DashboardDeadLetter]
}

struct DashboardConfig: Decodable {
    var actions: String
    var database: String
}

struct DashboardLatency: Decodable {
    struct Minute: Decodable {
        var minute: Double
        var tasks: Int
        var runP50: Double
        var runP95: Double
        var waitP50: Double
        var waitP95: Double
    }
    var queue: String
    var now: Double
    var minutes: [Minute]
}

/// Headless Chromium, as .ci/check-docs drives it: the DOM after the page's scripts ran.
enum Chromium {
    static var path: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The page's DOM after a few of its polls (virtual time: the page's timers run without waiting).
    static func dump(_ chromium: String, _ url: String) throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("mp-dash-chromium-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let run = SpawnedProgram.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                      "--user-data-dir=\(profile)", "--virtual-time-budget=2500", "--dump-dom", url])
        guard let start = run.output.range(of: "<html") else {
            throw DumpFailure(description: "chromium printed no page (status \(run.status)): \(run.output.suffix(2000))")
        }
        return String(run.output[start.lowerBound...])
    }

    struct DumpFailure: Error, CustomStringConvertible { var description: String }

    /// The DOM once `ready` holds, or the last one after `tries`.
    static func eventually(_ chromium: String, _ url: String, tries: Int = 10, _ ready: (String) -> Bool) async throws -> String {
        var dom = try dump(chromium, url)
        for _ in 1..<tries where !ready(dom) {
            try await Task.sleep(for: .seconds(1))
            dom = try dump(chromium, url)
        }
        return dom
    }

    /// A figure of a queue's row (`<tr data-queue="q">…<td … data-field="done">1,234</td>`).
    static func queueField(_ dom: String, _ queue: String, _ field: String) -> Int? {
        guard let row = element(dom, "tr", attribute: "data-queue=\"\(queue)\"") else { return nil }
        guard let cell = row.range(of: "data-field=\"\(field)\">") else { return nil }
        let text = row[cell.upperBound...].prefix { $0 != "<" }
        return Int(text.replacingOccurrences(of: ",", with: ""))
    }

    /// The progress a job's bar shows, in percent.
    static func jobProgress(_ dom: String, _ id: Int64) -> Double? {
        guard let row = element(dom, "tr", attribute: "class=\"job\" data-job=\"\(id)\""),
              let bar = row.range(of: "data-progress=\"") else { return nil }
        return Double(row[bar.upperBound...].prefix { $0 != "\"" })
    }

    /// A dead letter's element (up to the next letter or the end of its section).
    static func deadLetter(_ dom: String, jobID: Int64, index: Int) -> String? {
        guard let found = dom.range(of: "<div class=\"letter\" data-job=\"\(jobID)\" data-index=\"\(index)\"") else { return nil }
        let rest = dom[found.upperBound...]
        let end = [rest.range(of: "<div class=\"letter\"")?.lowerBound, rest.range(of: "</section>")?.lowerBound]
            .compactMap { $0 }.min() ?? rest.endIndex
        return String(rest[..<end])
    }

    /// The attributes of a queue's latency canvas (`data-points`, `data-tasks`, `data-last-run-p50`, ...).
    static func latencyChart(_ dom: String, _ queue: String) -> [String: String]? {
        guard let open = dom.range(of: "<canvas class=\"latency\" data-queue=\"\(queue)\""),
              let close = dom[open.upperBound...].firstIndex(of: ">") else { return nil }
        var attributes: [String: String] = [:]
        let tag = dom[open.lowerBound..<close]
        for match in tag.matches(of: /([a-z0-9-]+)="([^"]*)"/) { attributes[String(match.1)] = String(match.2) }
        return attributes
    }

    /// The `tag` element with `attribute`, up to its first closing tag (a row: no row inside).
    private static func element(_ dom: String, _ tag: String, attribute: String) -> String? {
        guard let found = dom.range(of: attribute), let open = dom[..<found.lowerBound].range(of: "<\(tag)", options: .backwards)
        else { return nil }
        let rest = dom[open.lowerBound...]
        let end = rest.dropFirst(1).range(of: "</\(tag)>").map { $0.upperBound } ?? rest.endIndex
        return String(rest[..<end].prefix(20_000))
    }
}
#endif  // Postgres
