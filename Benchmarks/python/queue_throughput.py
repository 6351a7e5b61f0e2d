"""queue-throughput: 1 producer process, 1 consumer process, small messages through multiprocessing.Queue."""
import multiprocessing
import time
from queue import Empty

import mpbench_common as common


def messages(quick):
    """Our side's QueueThroughput.messages: the same numbers on both sides."""
    return 50_000 if quick else 1_000_000


def producer(queue, go, count, kind):
    go.wait()
    if kind == "int":
        for i in range(count):
            queue.put(i)
    else:
        for i in range(count):
            queue.put((i, float(i), "x"))


def consumer(queue, go, count, kind, out):
    """Checks every message, as our consumer does: the k-th it gets must be the producer's k-th,
    whole (a message lost, repeated, reordered or garbled fails). Reports the time of the last
    get, or what was wrong."""
    go.wait()
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
    out.put(("done", time.perf_counter(), count))


def throughput(context, count, kind):
    queue, go, out = context.Queue(maxsize=10_000), context.Event(), context.Queue()
    consumer_process = context.Process(target=consumer, args=(queue, go, count, kind, out))
    producer_process = context.Process(target=producer, args=(queue, go, count, kind))
    consumer_process.start()
    producer_process.start()
    time.sleep(0.3)
    start = time.perf_counter()
    go.set()
    report = out.get()
    if report[0] != "done":
        producer_process.terminate()  # it may be blocked on the full queue
        raise AssertionError(f"the consumer: {report[1]}")
    producer_process.join()
    consumer_process.join()
    _, end, received = report
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
    return count / (end - start)


def main():
    args = common.parse_args()
    context = common.context(args)
    count = messages(args.quick)
    common.emit(int_per_s=throughput(context, count, "int"), struct_per_s=throughput(context, count, "tuple"),
                int_messages=count, struct_messages=count)


if __name__ == "__main__":
    main()
