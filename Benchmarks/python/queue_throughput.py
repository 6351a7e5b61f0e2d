"""queue-throughput: 1 producer process, 1 consumer process, small messages through multiprocessing.Queue."""
import multiprocessing
import time
from queue import Empty

import mpbench_common as common


def messages(quick):
    """Our side's QueueThroughput.messages: the same numbers on both sides."""
    return 50_000 if quick else 1_000_000


def producer(queue, go, count, kind, cpu_out):
    go.wait()
    before = time.process_time()
    if kind == "int":
        for i in range(count):
            queue.put(i)
    else:
        for i in range(count):
            queue.put((i, float(i), "x"))
    # Its CPU once the feeder thread has written every message (that thread's work is the put's).
    queue.close()
    queue.join_thread()
    cpu_out.put(time.process_time() - before)


def consumer(queue, go, count, kind, out):
    """Checks every message, as our consumer does: the k-th it gets must be the producer's k-th,
    whole (a message lost, repeated, reordered or garbled fails). Reports the time of the last
    get, or what was wrong."""
    go.wait()
    before = time.process_time()
    try:
        if kind == "int":
            for i in range(count):
                message = queue.get()
                if message != i:
                    raise AssertionError(f"message {i} is {message!r}")
        else:
            for i in range(count):
                message = queue.get()
                if message != (i, float(i), "x"):
                    raise AssertionError(f"message {i} is {message!r}")
    except AssertionError as error:
        out.put(("wrong", str(error)))
        return
    end = time.perf_counter()
    out.put(("done", end, count, time.process_time() - before))


def throughput(context, count, kind):
    queue, go, out, cpu_out = context.Queue(maxsize=10_000), context.Event(), context.Queue(), context.Queue()
    consumer_process = context.Process(target=consumer, args=(queue, go, count, kind, out))
    producer_process = context.Process(target=producer, args=(queue, go, count, kind, cpu_out))
    consumer_process.start()
    producer_process.start()
    time.sleep(0.3)
    parent_before = time.process_time()
    start = time.perf_counter()
    go.set()
    report = out.get()
    parent_cpu = time.process_time() - parent_before
    if report[0] != "done":
        producer_process.terminate()  # it may be blocked on the full queue
        raise AssertionError(f"the consumer: {report[1]}")
    producer_cpu = cpu_out.get()
    producer_process.join()
    consumer_process.join()
    _, end, received, consumer_cpu = report
    if received != count:
        raise AssertionError(f"the consumer got {received} of {count} messages")
    # Nothing may be left over (a message delivered twice at the end): the producer has
    # joined, so everything it put has reached the pipe.
    try:
        extra = queue.get(timeout=0.2)
    except Empty:
        pass
    else:
        raise AssertionError(f"{extra!r} left in the queue after the consumer's {count}")
    return count / (end - start), {"cpu_parent_s": parent_cpu, "cpu_workers_s": producer_cpu + consumer_cpu,
                                   "cpu_s": parent_cpu + producer_cpu + consumer_cpu}


def main():
    args = common.parse_args()
    context = common.context(args)
    count = messages(args.quick)
    ints, int_cpu = throughput(context, count, "int")
    structs, struct_cpu = throughput(context, count, "tuple")
    cpu = {f"int_{key}": value for key, value in int_cpu.items()}
    cpu.update({f"struct_{key}": value for key, value in struct_cpu.items()})
    common.emit(int_per_s=ints, struct_per_s=structs, int_messages=count, struct_messages=count, **cpu)


if __name__ == "__main__":
    main()
