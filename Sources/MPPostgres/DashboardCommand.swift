#if Dashboard
import ArgumentParser
import Foundation
import MPDashboard

extension MPPostgres {
    struct DashboardCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dashboard",
            abstract: "Serve a live web page of the queues, their JSON endpoints, /metrics and the actions.",
            discussion: """
                The page shows, refreshed every second: per queue, its tasks by state and the rates of the \
                last minute; per host, its workers, running tasks, last heartbeat and build; per job, its \
                progress, submitter, age and estimated finish; the dead letters with every attempt's cause, \
                host and stderr tail; the throughput and the latency (run and wait, median and 95th percentile \
                per minute) of the last hour. JSON at /api/dashboard, /api/queues, /api/hosts, /api/jobs, \
                /api/jobs/<id>, /api/dead, /api/throughput, /api/latency; Prometheus text at /metrics.

                Actions (cancel a job, retry a dead task, drain a host) are POST requests. With --token, \
                they need `Authorization: Bearer <token>` (the page asks for it). Without --token, they are \
                allowed only when the server is bound to loopback (the default, 127.0.0.1); bound to another \
                address without a token, the dashboard is read-only. The token may also come from \
                MP_DASHBOARD_TOKEN, which keeps it out of the process list.

                The database's URL and password never appear in the page or any response.
                """)

        @Option(help: "The database's URL (default: $MULTIPROCESSING_POSTGRES_URL, which keeps the password out of the process list).")
        var url: String?
        @Option(help: "The port (0: one the system picks).")
        var port: Int = 8080
        @Option(help: "The address to bind (default: loopback only).")
        var bind: String = "127.0.0.1"
        @Option(help: "Only this queue (default: every queue in the database).")
        var queue: String?
        @Option(help: "The token that actions need (default: $MP_DASHBOARD_TOKEN; none: actions on loopback only).")
        var token: String?

        func run() async throws {
            guard let url = url ?? ProcessInfo.processInfo.environment["MULTIPROCESSING_POSTGRES_URL"] else {
                throw ValidationError("give --url or set MULTIPROCESSING_POSTGRES_URL")
            }
            let options = DashboardOptions(url: url, bindAddress: bind, port: port, queue: queue,
                                           token: token ?? ProcessInfo.processInfo.environment["MP_DASHBOARD_TOKEN"])
            let policy: String = switch options.actionPolicy {
            case .token: "actions need the token"
            case .loopbackOpen: "actions open (loopback only, no token)"
            case .readOnly: "read-only (no token, not loopback)"
            }
            try await Dashboard.run(options) { address in
                // Unbuffered: a script or a test waits for this line.
                FileHandle.standardOutput.write(Data("dashboard listening on \(address) (\(policy))\n".utf8))
            }
        }
    }
}
#endif  // Dashboard
