import Multiprocessing

/// A ping-pong of an Int between the parent and a worker over a ProcessPipe.
enum PipeRoundTrip: Scenario {
    static let name = "pipe-round-trip"
    static let summary = "The parent sends an Int through a duplex ProcessPipe to a worker that echoes it back; "
        + "2,000 warm-up round trips, then 50,000 timed; the median us. Python: Pipe(), conn.send(i); conn.recv()."

    static var rows: [RowSpec] {
        [
            RowSpec(name: name, unit: "us/round trip", higherIsBetter: false, ours: "round_trip_us",
                    peer: "round_trip_us") {
                .ratio(atLeast: 10, $0, text: ">= 10x faster than Python")
            },
        ]
    }

    static func measure(quick: Bool) async throws -> Metrics {
        let rounds = quick ? 5_000 : 50_000
        let (mine, theirs) = try ProcessPipe.duplex(Int.self)
        let echo = try WorkerProcess(target: PipeBenchEcho(connection: theirs))
        try await echo.start()
        for index in 0..<2_000 {
            try await mine.send(index)
            _ = try await mine.receive()
        }
        var durations: [Double] = []
        durations.reserveCapacity(rounds)
        for index in 0..<rounds {
            let watch = Stopwatch()
            try await mine.send(index)
            let back = try await mine.receive()
            durations.append(Double(watch.nanoseconds) / 1e3)
            try check(back == index, "sent \(index), got \(back) back")
        }
        mine.close()
        try check(try await echo.value == rounds + 2_000, "the echo counted another number of messages")
        return ["round_trip_us": medianOf(durations)!, "round_trip_p10_us": percentile(durations, 0.1)!,
                "round_trip_p90_us": percentile(durations, 0.9)!, "rounds": Double(rounds)]
    }
}

struct PipeBenchEcho: ProcessTarget {
    var connection: PipeEnd<Int, Int>

    func run() async throws -> Int {
        var echoed = 0
        for try await value in connection {
            try await connection.send(value)
            echoed += 1
        }
        return echoed
    }
}
