#!/usr/bin/env python3
"""Concurrent small uploads: C clients on their own keep-alive connections each upload N files
of 4 KiB into one folder, against two Ferry binaries side by side (rounds alternate which one
goes first). Prints throughput, per-upload latency percentiles (p50, p99, max) and, when `perf`
can read tracepoints (root), how often the server slept in SQLite's busy handler
(`clock_nanosleep`) and how many fsyncs it made.

Usage: bench/concurrent_small.py --base OLD_BINARY --binary NEW_BINARY [--clients 8]
                                 [--files 60] [--rounds 2]

Every upload's answer is checked (201). Standard library and `perf` (optional) only.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab import new_folder  # noqa: E402  (sibling scripts, not a package)
from metadata_get import Ferry  # noqa: E402


def client(f: Ferry, folder: str, k: int, files: int, latencies: list, failures: list) -> None:
    c = http.client.HTTPConnection("127.0.0.1", f.port, timeout=120)
    headers = {**f.auth, "Content-Type": "application/octet-stream"}
    for i in range(files):
        t = time.monotonic()
        c.request("POST", f"/api/v1/folders/{folder}/files?filename=c{k}-{i}.bin",
                  os.urandom(4096), headers)
        r = c.getresponse()
        r.read()
        latencies.append(time.monotonic() - t)
        if r.status != 201:
            failures.append(r.status)


def perf_counts(path: Path) -> str:
    if not path.exists():
        return ""
    counts = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("syscalls:sys_enter_"):
            counts[parts[1].removeprefix("syscalls:sys_enter_")] = parts[0]
    return ", ".join(f"{v} {k}" for k, v in counts.items())


def run(binary: Path, tmp: Path, clients: int, files: int) -> str:
    f = Ferry(binary, tmp / "data")
    try:
        folder = new_folder(f, f"concurrent-{time.time_ns()}")
        counts = tmp / "perf.txt"
        perf = None
        if shutil.which("perf") and os.geteuid() == 0:
            perf = subprocess.Popen(
                ["perf", "stat", "-e", "syscalls:sys_enter_clock_nanosleep,syscalls:sys_enter_fsync",
                 "-p", str(f.proc.pid), "-o", str(counts)], stderr=subprocess.DEVNULL)
            time.sleep(0.3)
        latencies: list[float] = []
        failures: list[int] = []
        threads = [threading.Thread(target=client, args=(f, folder, k, files, latencies, failures))
                   for k in range(clients)]
        t = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        secs = time.monotonic() - t
        if perf:
            perf.send_signal(2)
            perf.wait()
        if failures:
            raise SystemExit(f"{binary}: {len(failures)} uploads failed: {failures[:5]}")
        ls = sorted(latencies)
        q = lambda p: 1000 * ls[int(p * (len(ls) - 1))]  # noqa: E731
        return (f"{len(ls) / secs:6.0f} files/s  p50 {q(0.5):7.1f} ms  p99 {q(0.99):7.1f} ms  "
                f"max {q(1):7.1f} ms  {perf_counts(counts)}")
    finally:
        f.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--binary", type=Path, required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--files", type=int, default=60, help="uploads per client")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    print(f"{args.clients} clients x {args.files} uploads of 4 KiB")
    for rnd in range(args.rounds):
        order = [("base", args.base), ("new", args.binary)]
        if rnd % 2:
            order.reverse()
        for name, binary in order:
            with tempfile.TemporaryDirectory(prefix="ferry-conc-") as tmp:
                print(f"round {rnd + 1} {name:<4} {run(binary, Path(tmp), args.clients, args.files)}",
                      flush=True)


if __name__ == "__main__":
    main()
