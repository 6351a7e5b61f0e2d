import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace joined to this one by a veth pair: a worker host started in it reaches
/// the database only across that link, as a host on another machine would (10.231.N.2 in the
/// namespace, 10.231.N.1 on this side). Needs root and iproute2's `ip`; removed on deinit.
final class NetworkNamespace: Sendable {
    let name: String
    /// This side's address: the one a host in the namespace connects to.
    let gateway: String
    /// The namespace's own address, as the server sees its connections come from.
    let address: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(index: Int) throws {
        name = "mp\(getpid() % 100_000)n\(index)"
        let outside = "\(name)a", inside = "\(name)b"
        let subnet = 1 + (Int(getpid()) * 7 + index) % 250
        gateway = "10.231.\(subnet).1"
        address = "10.231.\(subnet).2"
        let steps: [[String]] = [
            ["ip", "netns", "add", name],
            ["ip", "link", "add", outside, "type", "veth", "peer", "name", inside],
            ["ip", "link", "set", inside, "netns", name],
            ["ip", "addr", "add", "\(gateway)/30", "dev", outside],
            ["ip", "link", "set", outside, "up"],
            ["ip", "netns", "exec", name, "ip", "addr", "add", "\(address)/30", "dev", inside],
            ["ip", "netns", "exec", name, "ip", "link", "set", inside, "up"],
            ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"],
        ]
        for step in steps {
            let (status, output) = PostgresServer.run(["/usr/sbin/ip"] + step.dropFirst())
            guard status == 0 else {
                _ = PostgresServer.run(["/usr/sbin/ip", "netns", "del", name])
                throw Failure(description: "\(step.joined(separator: " ")) failed: \(output)")
            }
        }
    }

    deinit {
        // Deleting the namespace deletes its end of the veth pair, and with it this end.
        _ = PostgresServer.run(["/usr/sbin/ip", "netns", "del", name])
    }

    /// A worker host of `queue` started inside: `ip netns exec` enters the namespace and execs
    /// the host, which keeps its pid. Small claims, so that every host holds tasks whichever
    /// starts first.
    func host(url: String, queue: String, leaseSeconds: Double = 2, claimBatch: Int = 16) throws -> ChildProgram {
        try ChildProgram("/usr/sbin/ip", arguments: ["netns", "exec", name, ChildProgram.testExecutable], environment: [
            "MULTIPROCESSING_POSTGRES_WORKER": queue,
            "MULTIPROCESSING_POSTGRES_URL": url,
            "MULTIPROCESSING_POSTGRES_PROCESSES": "1",
            "MULTIPROCESSING_POSTGRES_LEASE_SECONDS": "\(leaseSeconds)",
            "MULTIPROCESSING_POSTGRES_CLAIM_BATCH": "\(claimBatch)",
        ])
    }
}
