#!/usr/bin/env python3
"""Word frequencies over a large text file with multiprocessing.Pool.

The Python peer of `demos wordfreq` (Examples/Sources/WordFreq): the same byte ranges, the
same rule for words cut by a range boundary, the same words, so that both print the same
answer and their times can be compared. `demos wordfreq` runs it and reads its JSON.

    python3 wordfreq.py CORPUS --workers 2 --ranges 8 --top 20
"""
import argparse
import json
import os
import re
import signal
import sys
import time
from collections import Counter
from multiprocessing import Pool

# A word: letters (str.isalpha), with single apostrophes between letters. In `re`,
# [^\W\d_] is "a word character that is neither a digit nor the underscore": a letter.
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
# A separator byte: ASCII, neither a letter nor the apostrophe. Every byte of a non-ASCII
# character is a word byte, so a range is never aligned inside a character.
SEPARATOR = re.compile(rb"[^A-Za-z'\x80-\xff]")


def is_word_byte(byte):
    return byte >= 0x80 or byte == 0x27 or (0x41 <= byte <= 0x5A) or (0x61 <= byte <= 0x7A)


def split(size, count):
    """count ranges covering 0..size: the same formula as ByteRange.split in Swift."""
    return [(i * size // count, (i + 1) * size // count) for i in range(count)]


def count_range(task):
    """Counts the words whose token starts in start..end (a token: a run of word bytes).

    Skips the token cut at the start (it belongs to the previous range) and reads past the
    end to finish the last one.
    """
    path, start, end = task
    size = os.path.getsize(path)
    end = min(end, size)
    if start >= end:
        return Counter(), 0
    with open(path, "rb") as file:
        file.seek(max(0, start - 1))
        data = file.read(end - max(0, start - 1))
        nread = len(data)
        if start > 0:
            if is_word_byte(data[0]):
                match = SEPARATOR.search(data, 1)
                if match is None:
                    return Counter(), nread
                data = data[match.start():]
            else:
                data = data[1:]
        if data and is_word_byte(data[-1]) and end < size:
            tail = bytearray()
            while True:
                chunk = file.read(4096)
                nread += len(chunk)
                if not chunk:
                    break
                match = SEPARATOR.search(chunk)
                if match:
                    tail += chunk[: match.start()]
                    break
                tail += chunk
            data += tail
    # Lowercase, and make the typographic apostrophe the ASCII one, as the Swift side does.
    text = data.decode("utf-8", errors="replace").lower().replace("\u2019", "'")
    return Counter(WORD.findall(text)), nread


def stop(signum, _frame):
    # Leaves the `with Pool()` block, which terminates the workers. `demos wordfreq` stops us
    # (the whole process group) with SIGTERM when it is interrupted.
    raise SystemExit(128 + signum)


def worker_signals():
    # Workers die of SIGTERM, the way Pool.terminate() expects (a worker that raised
    # SystemExit instead could hang in its exit handlers), and leave SIGINT to the parent.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def main():
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--ranges", type=int, default=None, help="default: 4 per worker")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--all", action="store_true", help="print every word's count (for tests)")
    args = parser.parse_args()

    size = os.path.getsize(args.corpus)
    ranges = split(size, args.ranges or 4 * args.workers)
    started = time.perf_counter()
    with Pool(args.workers, initializer=worker_signals) as pool:
        results = pool.map(count_range, [(args.corpus, start, end) for start, end in ranges], chunksize=1)
        counts = Counter()
        for partial, _ in results:
            counts.update(partial)
        seconds = time.perf_counter() - started
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = ordered if args.all else ordered[: args.top]
    json.dump({
        "seconds": seconds,
        "workers": args.workers,
        "ranges": len(ranges),
        "bytes": size,
        "bytesRead": sum(nread for _, nread in results),
        "totalWords": sum(counts.values()),
        "distinctWords": len(counts),
        "top": [{"word": word, "count": count} for word, count in shown],
    }, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
