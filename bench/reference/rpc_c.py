#!/usr/bin/python3
"""The C libvirt client (python3-libvirt) as the bench's reference. Prints one JSON line.

usage: rpc_c.py seq URI N        sequential getLibVersion() calls/s after a warm-up
       rpc_c.py open URI N       mean ms of open()+close()
       rpc_c.py idle URI         RSS in KiB of this process holding one idle connection
"""
import json
import sys
import time

import libvirt

libvirt.registerErrorHandler(lambda *_: None, None)
mode, uri = sys.argv[1], sys.argv[2]

if mode == "seq":
    n = int(sys.argv[3])
    c = libvirt.open(uri)
    for _ in range(min(500, n)):
        c.getLibVersion()
    t = time.perf_counter()
    for _ in range(n):
        c.getLibVersion()
    dt = time.perf_counter() - t
    c.close()
    print(json.dumps({"callsPerSec": n / dt}))
elif mode == "open":
    n = int(sys.argv[3])
    libvirt.open(uri).close()
    t = time.perf_counter()
    for _ in range(n):
        libvirt.open(uri).close()
    print(json.dumps({"ms": (time.perf_counter() - t) * 1000 / n}))
elif mode == "idle":
    c = libvirt.open(uri)
    c.getLibVersion()
    with open("/proc/self/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    print(json.dumps({"rssKiB": rss}))
    c.close()
else:
    sys.exit("unknown mode " + mode)
