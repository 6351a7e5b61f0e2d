#if Postgres
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace joined to this one by a veth pair: a worker host started in it reaches
/// the database only across that link, as a host on another machine would (10.231.N.2 in the
/// namespace, 10.231.N.1 on this side), and taking the link down cuts it off as a failed switch
/// port would (its TCP connections neither close nor answer). Needs root and iproute2's `ip`;
/// removed on deinit.
public final class NetworkNamespace: Sendable {
    public let name: String
    /// This side's address: the one a host in the namespace connects to.
    public let gateway: String
    /// The namespace's own address, as the server sees its connections come from.
    public let address: String
    /// This side's end of the veth pair.
    private let outside: String

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static let ip = "/usr/sbin/ip"

    /// Whether namespaces can be made here (root, and `ip` installed).
    public static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip)
    }

    /// A namespace whose name and subnet are this process's `index`th.
    public init(index: Int) throws {
        name = "mp\(getpid() % 100_000)n\(index)"
        outside = "\(name)a"
        let inside = "\(name)b"
        let subnet = 1 + (Int(getpid()) * 7 + index) % 250
        gateway = "10.231.\(subnet).1"
        address = "10.231.\(subnet).2"
        let steps: [[String]] = [
            ["netns", "add", name],
            ["link", "add", outside, "type", "veth", "peer", "name", inside],
            ["link", "set", inside, "netns", name],
            ["addr", "add", "\(gateway)/30", "dev", outside],
            ["link", "set", outside, "up"],
            ["netns", "exec", name, Self.ip, "addr", "add", "\(address)/30", "dev", inside],
            ["netns", "exec", name, Self.ip, "link", "set", inside, "up"],
            ["netns", "exec", name, Self.ip, "link", "set", "lo", "up"],
        ]
        for step in steps {
            let (status, output) = SpawnedProgram.run([Self.ip] + step)
            guard status == 0 else {
                _ = SpawnedProgram.run([Self.ip, "netns", "del", name])
                throw Failure(description: "ip \(step.joined(separator: " ")) failed: \(output)")
            }
        }
    }

    deinit {
        // Deleting the namespace deletes its end of the veth pair, and with it this end.
        _ = SpawnedProgram.run([Self.ip, "netns", "del", name])
    }

    /// `url` with its loopback host replaced by this namespace's gateway: the server as a host
    /// in the namespace reaches it.
    public func reach(_ url: String) -> String {
        url.replacingOccurrences(of: "@127.0.0.1:", with: "@\(gateway):")
            .replacingOccurrences(of: "@localhost:", with: "@\(gateway):")
    }

    /// A worker host of `queue` started inside: `ip netns exec` enters the namespace and execs
    /// the host, which keeps its pid. Small claims, so that every host holds tasks whichever
    /// starts first.
    public func host(_ executable: String = SpawnedProgram.currentExecutable, url: String, queue: String,
                     leaseSeconds: Double = 2, claimBatch: Int = 16) throws -> SpawnedProgram {
        try SpawnedProgram(Self.ip, arguments: ["netns", "exec", name, executable],
                           environment: SpawnedProgram.hostEnvironment(url: url, queue: queue, processes: 1,
                                                                       leaseSeconds: leaseSeconds, claimBatch: claimBatch))
    }

    /// Takes the link down (`up == false`) or up again. Down, packets across it are dropped in
    /// both directions and nothing tells either end: connections hang until it comes back.
    public func setLink(up: Bool) throws {
        let (status, output) = SpawnedProgram.run([Self.ip, "link", "set", outside, up ? "up" : "down"])
        guard status == 0 else { throw Failure(description: "ip link set \(outside) \(up ? "up" : "down") failed: \(output)") }
    }
}
#endif  // Postgres
