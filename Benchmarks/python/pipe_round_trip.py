"""pipe-round-trip: the parent sends an int through Pipe() to a worker that answers 3i+1; median us."""
import time

import mpbench_common as common


WARM_UP_ROUNDS = 2_000


def rounds(quick):
    """Our side's PipeRoundTrip.rounds: the same numbers on both sides."""
    return 5_000 if quick else 50_000


def reply(value):
    """Our side's pipeBenchReply: computed by the echo, so that a reply it did not compute fails."""
    return value * 3 + 1


def echo(connection):
    """Answers each number until None, then sends how many it answered."""
    echoed = 0
    while True:
        value = connection.recv()
        if value is None:
            break
        connection.send(reply(value))
        echoed += 1
    connection.send(echoed)


def main():
    args = common.parse_args()
    timed = rounds(args.quick)
    context = common.context(args)
    mine, theirs = context.Pipe()
    process = context.Process(target=echo, args=(theirs,))
    process.start()
    for i in range(WARM_UP_ROUNDS):
        mine.send(i)
        back = mine.recv()
        if back != reply(i):
            raise AssertionError(f"sent {i}, got {back!r} back")
    durations = []
    meter = common.CPUMeter([process.pid])
    for i in range(timed):
        start = time.perf_counter_ns()
        mine.send(i)
        back = mine.recv()
        durations.append((time.perf_counter_ns() - start) / 1e3)
        if back != reply(i):
            raise AssertionError(f"sent {i}, got {back!r} back")
    cpu = meter.metrics()
    mine.send(None)
    echoed = mine.recv()
    process.join()
    if echoed != timed + WARM_UP_ROUNDS:
        raise AssertionError(f"the echo answered {echoed} of {timed + WARM_UP_ROUNDS} messages")
    common.emit(round_trip_us=common.median(durations), round_trip_p10_us=common.percentile(durations, 0.1),
                round_trip_p90_us=common.percentile(durations, 0.9), rounds=timed, warm_up_rounds=WARM_UP_ROUNDS, **cpu)


if __name__ == "__main__":
    main()
