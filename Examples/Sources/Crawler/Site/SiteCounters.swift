import Synchronization

/// What the test site saw: how many requests each URL got, and the most requests each host was
/// serving at once, which is what a per-host limit promises to bound.
public final class SiteCounters: Sendable {
    private struct State {
        var current: [Int]
        var peak: [Int]
        var requests: [SiteModel.Target: Int] = [:]
        var total = 0
    }

    private let state: Mutex<State>

    init(hosts: Int) {
        state = Mutex(State(current: Array(repeating: 0, count: hosts), peak: Array(repeating: 0, count: hosts)))
    }

    /// A request arrives; returns how many requests `target` has had, this one included.
    func begin(_ target: SiteModel.Target) -> Int {
        state.withLock { state in
            state.current[target.host] += 1
            state.peak[target.host] = max(state.peak[target.host], state.current[target.host])
            state.total += 1
            state.requests[target, default: 0] += 1
            return state.requests[target]!
        }
    }

    /// The request is answered, or its client is gone.
    func end(host: Int) {
        state.withLock { $0.current[host] -= 1 }
    }

    /// The most requests `host` was serving at once.
    public func peakConcurrency(host: Int) -> Int {
        state.withLock { $0.peak[host] }
    }

    public func requests(to target: SiteModel.Target) -> Int {
        state.withLock { $0.requests[target, default: 0] }
    }

    public var totalRequests: Int {
        state.withLock { $0.total }
    }
}
