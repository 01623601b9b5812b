#!/usr/bin/python3
"""Random-read latency of an NBD export: p50/p99 in milliseconds for one block size.

usage: latency.py URI BLOCK_SIZE COUNT SEED [--reread] [--warm IMAGE_FILE]
With --reread the same offsets are read twice and only the second pass is timed (cached re-reads).
With --warm the offsets are first read from the image server's file, so its page cache holds them for every server
alike: the servers of a round read the same offsets one after the other, and this host keeps little page cache, so
without it the first server of each round paid the disk's latency on every read (p50 0.18 against 0.125 ms for nbdkit
reading the same offsets first or second).
"""
import random
import sys
import time

import nbd

uri, block, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
reread = "--reread" in sys.argv[5:]
warm = sys.argv[sys.argv.index("--warm") + 1] if "--warm" in sys.argv[5:] else None
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
for offset in offsets:
    start = time.perf_counter()
    h.pread(block, offset)
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(f"{times[len(times) // 2]:.3f} {times[min(len(times) - 1, int(len(times) * 0.99))]:.3f}")
h.shutdown()
