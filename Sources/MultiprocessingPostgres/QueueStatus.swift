#if Postgres
import Foundation
import PostgresNIO

/// What a queue holds: tasks by state, running tasks by host, the hosts and when they were
/// last heard from, and how many duplicate results were discarded.
public struct QueueStatus: Sendable, CustomStringConvertible {
    /// The queue's name.
    public var queue: String
    /// Tasks waiting for a host.
    public var pending = 0
    /// Tasks claimed by a host (running or about to).
    public var running = 0
    /// Tasks with a recorded result.
    public var done = 0
    /// Tasks failed at once, with no other attempt (a thrown error; an input or output over the cap or not codable).
    public var failed = 0
    /// Tasks dead-lettered: their last attempt crashed, timed out or lost its host.
    public var dead = 0
    /// Tasks of cancelled jobs.
    public var cancelled = 0
    /// Duplicate results (a task run twice because its first host's lease expired).
    public var duplicates = 0
    /// Jobs not yet finished or cancelled.
    public var openJobs = 0
    /// Running tasks by host id.
    public var runningByHost: [String: Int] = [:]
    /// Every host that has registered, with the seconds since it was last heard from.
    public var hosts: [(id: String, secondsSinceSeen: Double)] = []
    /// Open jobs with pending tasks that no live host (heard from in the last two minutes) can
    /// run, by build identity: they wait for a host of their submitter's build (a rolling
    /// deploy in progress, or hosts of that build never started). Hosts never claim tasks of
    /// another build.
    public var waitingForBuild: [(build: String, jobs: Int, tasks: Int)] = []

    /// A host heard from this recently counts as serving its build (a heartbeat comes every
    /// third of a lease: 10 s by default).
    static let liveHostSeconds: Int32 = 120

    static func read(_ database: QueueDatabase, queue: String) async throws -> QueueStatus {
        var status = QueueStatus(queue: queue)
        for try await (state, count, duplicates) in try await database.execute("""
            SELECT state, count(*), coalesce(sum(duplicates), 0)::int8 FROM mp_tasks WHERE queue = \(queue) GROUP BY state
            """).decode((String, Int, Int).self) {
            status.duplicates += duplicates
            switch state {
            case "pending": status.pending = count
            case "running": status.running = count
            case "done": status.done = count
            case "failed": status.failed = count
            case "dead": status.dead = count
            default: status.cancelled = count
            }
        }
        for try await (host, count) in try await database.execute("""
            SELECT coalesce(host, '?'), count(*) FROM mp_tasks WHERE queue = \(queue) AND state = 'running' GROUP BY host
            """).decode((String, Int).self) {
            status.runningByHost[host] = count
        }
        for try await (host, age) in try await database.execute("""
            SELECT id, extract(epoch FROM now() - seen_at)::float8 FROM mp_hosts WHERE queue = \(queue) ORDER BY id
            """).decode((String, Double).self) {
            status.hosts.append((host, age))
        }
        for try await (build, jobs, tasks) in try await database.execute("""
            SELECT j.build_id, count(DISTINCT j.id), count(*) FROM mp_jobs j JOIN mp_tasks t ON t.job_id = j.id
            WHERE j.queue = \(queue) AND j.state = 'running' AND t.state = 'pending'
              AND j.build_id NOT IN (SELECT build_id FROM mp_hosts WHERE queue = \(queue)
                                     AND seen_at > now() - \(liveHostSeconds) * interval '1 second')
            GROUP BY j.build_id ORDER BY j.build_id
            """).decode((String, Int, Int).self) {
            status.waitingForBuild.append((build, jobs, tasks))
        }
        for try await count in try await database.execute(
            "SELECT count(*) FROM mp_jobs WHERE queue = \(queue) AND state = 'running'").decode(Int.self) {
            status.openJobs = count
        }
        return status
    }

    /// A table for people.
    public var description: String {
        var lines = ["queue \(queue): \(openJobs) open jobs",
                     "  pending \(pending)  running \(running)  done \(done)  failed \(failed)  dead \(dead)  cancelled \(cancelled)  duplicates \(duplicates)"]
        for (host, seen) in hosts {
            lines.append("  host \(host): running \(runningByHost[host] ?? 0), last seen \(String(format: "%.1f", seen)) s ago")
        }
        for (build, jobs, tasks) in waitingForBuild {
            lines.append("  waiting for build \(build): \(jobs) jobs, \(tasks) tasks pending; no live host runs this build")
        }
        return lines.joined(separator: "\n")
    }

    /// The Prometheus text format, for a scraper (`mp-postgres status --prometheus`).
    public var prometheusText: String {
        var lines = ["# TYPE mp_tasks gauge"]
        for (state, count) in [("pending", pending), ("running", running), ("done", done), ("failed", failed),
                               ("dead", dead), ("cancelled", cancelled)] {
            lines.append("mp_tasks{queue=\"\(queue)\",state=\"\(state)\"} \(count)")
        }
        lines.append("# TYPE mp_duplicate_results gauge")
        lines.append("mp_duplicate_results{queue=\"\(queue)\"} \(duplicates)")
        lines.append("# TYPE mp_open_jobs gauge")
        lines.append("mp_open_jobs{queue=\"\(queue)\"} \(openJobs)")
        lines.append("# TYPE mp_host_running_tasks gauge")
        for (host, _) in hosts {
            lines.append("mp_host_running_tasks{queue=\"\(queue)\",host=\"\(host)\"} \(runningByHost[host] ?? 0)")
        }
        lines.append("# TYPE mp_host_seconds_since_seen gauge")
        for (host, seen) in hosts {
            lines.append("mp_host_seconds_since_seen{queue=\"\(queue)\",host=\"\(host)\"} \(seen)")
        }
        lines.append("# TYPE mp_jobs_waiting_for_build gauge")
        for (build, jobs, _) in waitingForBuild {
            lines.append("mp_jobs_waiting_for_build{queue=\"\(queue)\",build=\"\(build)\"} \(jobs)")
        }
        lines.append("# TYPE mp_tasks_waiting_for_build gauge")
        for (build, _, tasks) in waitingForBuild {
            lines.append("mp_tasks_waiting_for_build{queue=\"\(queue)\",build=\"\(build)\"} \(tasks)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
#endif  // Postgres
