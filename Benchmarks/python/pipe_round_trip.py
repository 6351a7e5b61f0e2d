"""pipe-round-trip: the parent sends an int through Pipe() to a worker that echoes it; median us."""
import multiprocessing
import time

import mpbench_common as common


def echo(connection):
    while True:
        value = connection.recv()
        if value is None:
            break
        connection.send(value)


def main():
    args = common.parse_args()
    rounds = 2_000 if args.quick else 20_000
    context = multiprocessing.get_context("fork")
    mine, theirs = context.Pipe()
    process = context.Process(target=echo, args=(theirs,))
    process.start()
    for i in range(2_000):
        mine.send(i)
        mine.recv()
    durations = []
    for i in range(rounds):
        start = time.perf_counter_ns()
        mine.send(i)
        back = mine.recv()
        durations.append((time.perf_counter_ns() - start) / 1e3)
        assert back == i
    mine.send(None)
    process.join()
    common.emit(round_trip_us=common.median(durations), round_trip_p10_us=common.percentile(durations, 0.1),
                round_trip_p90_us=common.percentile(durations, 0.9), rounds=rounds)


if __name__ == "__main__":
    main()
