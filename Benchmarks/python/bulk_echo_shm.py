"""bulk-echo-shm: 400 payloads of 1 MiB through multiprocessing.shared_memory slots (16 in
flight), the pool carrying only slot numbers; GiB/s both ways. The peer of our SharedMemory path."""
import ctypes
import time
import zlib
from multiprocessing import shared_memory

import mpbench_common as common
from bulk_echo import SIZE, byte, reply_word

SLOTS = 16
POISON = 0xA5

_input = _output = None


def attach(input_name, output_name):
    """Each worker maps both regions once (the pool's initializer)."""
    global _input, _output
    _input = shared_memory.SharedMemory(name=input_name)
    _output = shared_memory.SharedMemory(name=output_name)


def fill_word(view, offset, word):
    """Writes the 8-byte word over SIZE bytes by doubling copies inside the slot: each byte is
    written once, with no 1 MiB temporary."""
    view[offset:offset + 8] = word
    filled = 8
    while filled < SIZE:
        step = min(filled, SIZE - filled)
        view[offset + filled:offset + filled + step] = view[offset:offset + step]
        filled += step


def echo_slot(slot):
    """Reads every byte of input slot `slot` (adler32) and writes the reply derived from it into
    output slot `slot`; returns the input's checksum."""
    offset = slot * SIZE
    checksum = zlib.adler32(_input.buf[offset:offset + SIZE])
    fill_word(_output.buf, offset, reply_word(checksum).to_bytes(8, "little"))
    return checksum


def main():
    args = common.parse_args()
    count = 40 if args.quick else 400
    workers = common.cpus()
    input_memory = shared_memory.SharedMemory(create=True, size=SLOTS * SIZE)
    output_memory = shared_memory.SharedMemory(create=True, size=SLOTS * SIZE)
    try:
        run(args, count, workers, input_memory, output_memory)
    finally:
        for memory in (input_memory, output_memory):
            memory.close()
            memory.unlink()


def run(args, count, workers, input_memory, output_memory):
    # What each payload's input checksum and reply must be; a worker that skipped writing would
    # leave the poison or the reply of the payload SLOTS earlier: neither may pass.
    sent = [zlib.adler32(bytes((byte(i),)) * SIZE) for i in range(min(count, 256))]
    expected = [zlib.adler32(reply_word(sent[i % 256]).to_bytes(8, "little") * (SIZE // 8)) for i in range(count)]
    poisoned = zlib.adler32(bytes((POISON,)) * SIZE)
    for i in range(count):
        if expected[i] == poisoned or (i >= SLOTS and expected[i] == expected[i - SLOTS]):
            raise AssertionError(f"payload {i}'s reply cannot be told from a skipped write")
    # Raw addresses for memset (the parent writes each payload once, as ours does).
    input_array = (ctypes.c_char * (SLOTS * SIZE)).from_buffer(input_memory.buf)
    output_array = (ctypes.c_char * (SLOTS * SIZE)).from_buffer(output_memory.buf)
    try:
        input_base, output_base = ctypes.addressof(input_array), ctypes.addressof(output_array)
        ctypes.memset(input_base, 0, SLOTS * SIZE)
        ctypes.memset(output_base, 0, SLOTS * SIZE)
        with common.context(args).Pool(workers, initializer=attach,
                                       initargs=(input_memory.name, output_memory.name)) as pool:
            worker_pids = common.warm_up(pool, workers)
            pool.map(echo_slot, range(SLOTS), chunksize=1)
            # The untimed map wrote replies: poison every output slot before the timed part.
            ctypes.memset(output_base, POISON, SLOTS * SIZE)
            meter = common.CPUMeter(worker_pids)
            cpu_before = time.process_time()
            start = time.perf_counter()
            pending = [None] * SLOTS

            def collect(payload):
                slot = payload % SLOTS
                checksum = pending[slot].get()
                if checksum != sent[payload % 256]:
                    raise AssertionError(f"payload {payload}: input checksum {checksum}")
                offset = slot * SIZE
                if zlib.adler32(output_memory.buf[offset:offset + SIZE]) != expected[payload]:
                    raise AssertionError(f"payload {payload}: output slot {slot} does not hold its reply")
                pending[slot] = None

            for payload in range(count):
                slot = payload % SLOTS
                if payload >= SLOTS:
                    collect(payload - SLOTS)
                ctypes.memset(input_base + slot * SIZE, byte(payload), SIZE)
                pending[slot] = pool.apply_async(echo_slot, (slot,))
            for payload in range(max(0, count - SLOTS), count):
                collect(payload)
            seconds = time.perf_counter() - start
            parent_cpu = time.process_time() - cpu_before
            cpu = meter.metrics()
    finally:
        del input_array, output_array  # exported buffers: the regions cannot close while they live
    gib = 2 * count * SIZE / (1 << 30)
    common.emit(gib_per_s=gib / seconds, seconds=seconds, payloads=count, payload_bytes=SIZE, workers=workers,
                parent_cpu_s=parent_cpu, **cpu)


if __name__ == "__main__":
    main()
