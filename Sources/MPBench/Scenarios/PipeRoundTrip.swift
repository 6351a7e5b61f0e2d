#if Tools
import Multiprocessing

/// A ping-pong of an Int between the parent and a worker over a ProcessPipe.
enum PipeRoundTrip: Scenario {
    static let name = "pipe-round-trip"
    static let summary = "The parent sends an Int through a duplex ProcessPipe to a worker that answers 3i+1; "
        + "2,000 warm-up round trips, then 50,000 timed, every answer checked; the median us. Python: Pipe(), "
        + "conn.send(i); conn.recv(), the same numbers."

    static var countKeys: [String] { ["rounds", "warm_up_rounds"] }

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "us/round trip", higherIsBetter: false, ours: "round_trip_us",
                    peer: "round_trip_us", cpu: CPUSpec(work: "rounds", unit: "round trips/CPU-s")) {
                .ratio(atLeast: 10, $0, text: ">= 10x faster than Python")
            },
        ]
    }

    /// The timed round trips, and the untimed ones before them: the Python peer does the same
    /// numbers (pipe_round_trip.py).
    static func rounds(quick: Bool) -> Int { quick ? 5_000 : 50_000 }
    static let warmUpRounds = 2_000

    static func measure(quick: Bool) async throws -> Metrics {
        let rounds = rounds(quick: quick)
        let (mine, theirs) = try ProcessPipe.duplex(Int.self)
        let echo = try WorkerProcess(target: PipeBenchEcho(connection: theirs))
        try await echo.start()
        for index in 0..<warmUpRounds {
            try await mine.send(index)
            let back = try await mine.receive()
            try check(back == pipeBenchReply(index), "sent \(index), got \(back) back")
        }
        var durations: [Double] = []
        durations.reserveCapacity(rounds)
        guard let echoPID = echo.pid else { throw BenchError.failed("the echo worker has no pid") }
        let meter = CPUMeter(workers: [echoPID])
        for index in 0..<rounds {
            let watch = Stopwatch()
            try await mine.send(index)
            let back = try await mine.receive()
            durations.append(Double(watch.nanoseconds) / 1e3)
            try check(back == pipeBenchReply(index), "sent \(index), got \(back) back")
        }
        let cpu = try meter.metrics()
        mine.close()
        let echoed = try await echo.value
        try check(echoed == rounds + warmUpRounds, "the echo answered \(echoed) of \(rounds + warmUpRounds) messages")
        return ["round_trip_us": medianOf(durations)!, "round_trip_p10_us": percentile(durations, 0.1)!,
                "round_trip_p90_us": percentile(durations, 0.9)!, "rounds": Double(rounds),
                "warm_up_rounds": Double(warmUpRounds)].merging(cpu)
    }
}

/// What the echo sends back for `value`: computed from it, so that a reply the worker did not
/// compute (the parent's own message looped back, a stale one) fails the check.
func pipeBenchReply(_ value: Int) -> Int { value &* 3 &+ 1 }

/// Answers each number with ``pipeBenchReply(_:)`` until the pipe closes; returns how many.
struct PipeBenchEcho: ProcessTarget {
    var connection: PipeEnd<Int, Int>

    func run() async throws -> Int {
        var echoed = 0
        for try await value in connection {
            try await connection.send(pipeBenchReply(value))
            echoed += 1
        }
        return echoed
    }
}
#endif  // Tools
