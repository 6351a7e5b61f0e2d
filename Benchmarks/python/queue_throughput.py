"""queue-throughput: 1 producer process, 1 consumer process, small messages through multiprocessing.Queue."""
import multiprocessing
import time

import mpbench_common as common


def producer(queue, go, count, kind):
    go.wait()
    if kind == "int":
        for i in range(count):
            queue.put(i)
    else:
        for i in range(count):
            queue.put((i, float(i), "x"))


def consumer(queue, go, count, out):
    go.wait()
    for _ in range(count):
        queue.get()
    out.put(time.perf_counter())


def throughput(context, count, kind):
    queue, go, out = context.Queue(maxsize=10_000), context.Event(), context.Queue()
    consumer_process = context.Process(target=consumer, args=(queue, go, count, out))
    producer_process = context.Process(target=producer, args=(queue, go, count, kind))
    consumer_process.start()
    producer_process.start()
    time.sleep(0.3)
    start = time.perf_counter()
    go.set()
    end = out.get()
    producer_process.join()
    consumer_process.join()
    return count / (end - start)


def main():
    args = common.parse_args()
    context = multiprocessing.get_context("fork")
    ints = 30_000 if args.quick else 300_000
    tuples = 30_000 if args.quick else 300_000
    common.emit(int_per_s=throughput(context, ints, "int"), struct_per_s=throughput(context, tuples, "tuple"))


if __name__ == "__main__":
    main()
