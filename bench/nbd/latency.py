#!/usr/bin/python3
"""Random-read latency of an NBD export: p50/p99 in milliseconds for one block size.

usage: latency.py URI BLOCK_SIZE COUNT SEED [--reread]
With --reread the same offsets are read twice and only the second pass is timed (cached re-reads).
"""
import random
import sys
import time

import nbd

uri, block, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
reread = "--reread" in sys.argv[5:]
h = nbd.NBD()
h.connect_uri(uri)
size = h.get_size()
rng = random.Random(seed)
offsets = [rng.randrange(0, (size - block) // 4096) * 4096 for _ in range(count)]
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
