"""bulk-echo: 400 payloads of 1 MiB through imap(chunksize=1) and back; GiB/s both ways."""
import time
import zlib

import mpbench_common as common

SIZE = 1 << 20


def byte(index):
    return (index * 7 + 1) & 0xFF


def payloads(count):
    for index in range(count):
        yield bytes((byte(index),)) * SIZE


def reply_word(checksum):
    """Our side's replyWord: distinct checksums give distinct 64-bit words (an odd multiplier)."""
    return ((checksum + 1) * 0x9E3779B97F4A7C15) & 0xFFFF_FFFF_FFFF_FFFF


def reply(checksum, size):
    return reply_word(checksum).to_bytes(8, "little") * (size // 8)


def echo(payload):
    """Reads every byte (adler32, at C speed) and returns a fresh payload of the same size,
    derived from the checksum: a reply that did not read its input does not match."""
    return reply(zlib.adler32(payload), len(payload))


def main():
    args = common.parse_args()
    count = 40 if args.quick else 400
    workers = common.cpus()
    # The checksum of each reply the parent expects, computed before timing (256 patterns at most).
    expected = {}
    for index in range(min(count, 256)):
        sent = zlib.adler32(bytes((byte(index),)) * SIZE)
        expected[byte(index)] = (zlib.adler32(reply(sent, SIZE)), reply_word(sent).to_bytes(8, "little"))
    with common.context(args).Pool(workers) as pool:
        meter = common.CPUMeter(common.warm_up(pool, workers))
        cpu_before = time.process_time()
        start = time.perf_counter()
        received = 0
        for index, echoed in enumerate(pool.imap(echo, payloads(count), chunksize=1)):
            checksum, word = expected[byte(index)]
            if len(echoed) != SIZE or echoed[:8] != word or zlib.adler32(echoed) != checksum:
                raise AssertionError(f"payload {index} came back wrong")
            received += 1
        seconds = time.perf_counter() - start
        parent_cpu = time.process_time() - cpu_before
        cpu = meter.metrics()
    if received != count:
        raise AssertionError(f"{received} payloads back of {count}")
    gib = 2 * count * SIZE / (1 << 30)
    common.emit(gib_per_s=gib / seconds, seconds=seconds, payloads=count, payload_bytes=SIZE, workers=workers,
                parent_cpu_s=parent_cpu, **cpu)


if __name__ == "__main__":
    main()
