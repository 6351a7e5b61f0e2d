"""apply-latency: 2,000 sequential pool.apply(square, (i,)), each timed; median us per call."""
import os
import time

import mpbench_common as common
import mpbench_peers as peers


WARM_UP_CALLS = 50


def main():
    args = common.parse_args()
    calls = 200 if args.quick else 2_000
    workers = common.cpus()
    with peers.Peer(args, workers) as pool:
        worker_pids = pool.warm_up()
        processes = [os.getpid()] + worker_pids
        for i in range(WARM_UP_CALLS):
            if pool.apply(common.square, i) != i * i:
                raise AssertionError(f"square of {i} came back wrong")
        durations = []
        switches_before = common.context_switches(processes)
        wait_before = common.run_queue_wait_seconds(processes)
        cpu_before = time.process_time()
        meter = common.CPUMeter(worker_pids)
        for i in range(calls):
            start = time.perf_counter_ns()
            result = pool.apply(common.square, i)
            durations.append((time.perf_counter_ns() - start) / 1e3)
            if result != i * i:
                raise AssertionError(f"square of {i} is {result!r}")
        parent_cpu = time.process_time() - cpu_before
        cpu = meter.metrics()
        switches = common.context_switches(processes) - switches_before
        waited = common.run_queue_wait_seconds(processes) - wait_before
    common.emit(apply_us=common.median(durations), apply_p10_us=common.percentile(durations, 0.1),
                apply_p90_us=common.percentile(durations, 0.9), calls=calls, warm_up_calls=WARM_UP_CALLS, workers=workers,
                switches_per_call=switches / calls, parent_cpu_us_per_call=parent_cpu * 1e6 / calls,
                runqueue_wait_us_per_call=waited * 1e6 / calls, **cpu)


if __name__ == "__main__":
    main()
