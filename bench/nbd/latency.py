#!/usr/bin/python3
"""Random-read latency of an NBD export: p50/p99 in milliseconds for one block size.

usage: latency.py URI BLOCK_SIZE COUNT SEED [--reread] [--warm IMAGE_FILE] [--head N] [--times FILE] [--bursts N]
With --reread the same offsets are read twice and only the second pass is timed (cached re-reads).
With --warm the offsets are first read from the image server's file, so its page cache holds them for every server
alike: the servers of a round read the same offsets one after the other, and this host keeps little page cache, so
without it the first server of each round paid the disk's latency on every read (p50 0.18 against 0.125 ms for nbdkit
reading the same offsets first or second).
With --head N two more figures follow: the mean of the first N reads and the p99 of the reads after them.
With --times every read's time, in the order read, is appended to FILE as one line.
With --bursts N the reads come N at a time with 0.3 s between, as a host's with think time between its bursts do;
--head then counts the first reads of every burst.
"""
import random
import sys
import time

import nbd

uri, block, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
reread = "--reread" in sys.argv[5:]


def option(name):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv[5:] else None


warm = option("--warm")
head = int(option("--head") or 0)
times_file = option("--times")
burst = int(option("--bursts") or count)
h = nbd.NBD()
h.connect_uri(uri)
size = h.get_size()
rng = random.Random(seed)
offsets = [rng.randrange(0, (size - block) // 4096) * 4096 for _ in range(count)]
if warm:
    with open(warm, "rb") as image:
        for offset in offsets:
            image.seek(offset)
            image.read(block)
if reread:
    for offset in offsets:
        h.pread(block, offset)
times = []
for i, offset in enumerate(offsets):
    if i and i % burst == 0:
        time.sleep(0.3)
    start = time.perf_counter()
    h.pread(block, offset)
    times.append((time.perf_counter() - start) * 1000)
if times_file:
    with open(times_file, "a") as out:
        out.write(" ".join(f"{t:.3f}" for t in times) + "\n")


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


figures = [quantile(times, 0.5), quantile(times, 0.99)]
if head:
    # The first reads after idle (a fresh mount's, or each burst's), apart: the p99 of 400 reads is their 4th-worst,
    # most often one of these.
    heads = [t for i, t in enumerate(times) if i % burst < head]
    figures += [sum(heads) / len(heads), quantile([t for i, t in enumerate(times) if i % burst >= head], 0.99)]
print(" ".join(f"{x:.3f}" for x in figures))
h.shutdown()
