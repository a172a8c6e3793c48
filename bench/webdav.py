#!/usr/bin/env python3
"""WebDAV throughput: `rclone copy` into Ferry's `/dav/` against `rclone serve webdav` (a plain
WebDAV server over a local directory) on the same machine, same client, same files.

Usage: bench/webdav.py [--binary PATH] [--small 1000] [--big-mib 1024] [--rounds 3]

Starts Ferry (SQLite, a fresh data dir) and `rclone serve webdav` (over a fresh directory on
the same filesystem), makes `--small` files of 4 KiB and one file of `--big-mib` MiB, then for
each round and each server, alternately: `rclone copy` of the small files into a new folder,
and of the big file; each copy is then checked with `rclone check` (sizes; not timed). Prints
the median seconds, files/s and MiB/s of each, and the ratio Ferry/rclone-serve of the rates
(goal: >= 1x). Ferry does more per file than `rclone serve` (SHA-256 of every byte, a durable
write with fsync, a database transaction, an audit record), which is what the ratio weighs.
Needs rclone (Debian's package). `--binary` defaults to target/release/ferry.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from namespace import PASSWORD, start  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MIB = 1 << 20


def free_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def obscure(password: str) -> str:
    return subprocess.run(["rclone", "obscure", password], check=True, capture_output=True,
                          text=True).stdout.strip()


def remote_env(name: str, url: str, user: str, password: str) -> dict[str, str]:
    p = f"RCLONE_CONFIG_{name.upper()}_"
    return {p + "TYPE": "webdav", p + "URL": url, p + "VENDOR": "other", p + "USER": user,
            p + "PASS": obscure(password)}


def rclone(env: dict[str, str], *args: str) -> float:
    t = time.perf_counter()
    subprocess.run(["rclone", *args], check=True, env=dict(os.environ, RCLONE_CONFIG="/dev/null",
                                                           **env),
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t


def start_rclone_serve(root: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(["rclone", "serve", "webdav", str(root), "--addr", f"127.0.0.1:{port}",
                             "--user", "admin", "--pass", PASSWORD],
                            env=dict(os.environ, RCLONE_CONFIG="/dev/null"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import http.client

    for _ in range(200):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("OPTIONS", "/")
            c.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("rclone serve webdav did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", type=Path, default=REPO / "target" / "release" / "ferry")
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--big-mib", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if shutil.which("rclone") is None:
        raise SystemExit("rclone is not installed (apt-get install rclone)")

    work = Path(tempfile.mkdtemp(prefix="ferry-bench-webdav-", dir=REPO.parent))
    procs: list[subprocess.Popen] = []
    try:
        small = work / "small"
        small.mkdir()
        for i in range(args.small):
            (small / f"f{i:05}.bin").write_bytes(os.urandom(4096))
        big = work / "big"
        big.mkdir()
        with open(big / "big.bin", "wb") as f:
            for _ in range(args.big_mib):
                f.write(os.urandom(MIB))

        ferry_port, serve_port = free_port(), free_port()
        procs.append(start(args.binary, work / "ferry-data", ferry_port))
        (work / "served").mkdir()
        procs.append(start_rclone_serve(work / "served", serve_port))
        systems = {
            "ferry": (remote_env("ferry", f"http://127.0.0.1:{ferry_port}/dav/", "admin",
                                 PASSWORD), "ferry:bench"),
            "rclone-serve": (remote_env("peer", f"http://127.0.0.1:{serve_port}/", "admin",
                                        PASSWORD), "peer:bench"),
        }
        # Ferry keeps files in folders: make the top-level one (rclone makes the rest).
        rclone(systems["ferry"][0], "mkdir", "ferry:bench")

        times: dict[str, dict[str, list[float]]] = {s: {"small": [], "big": []} for s in systems}
        for r in range(args.rounds):
            for name, (env, root) in systems.items():
                dest = f"{root}/small-{r}"
                times[name]["small"].append(rclone(env, "copy", str(small), dest))
                rclone(env, "check", "--size-only", str(small), dest)
                dest = f"{root}/big-{r}"
                times[name]["big"].append(rclone(env, "copy", str(big), dest))
                rclone(env, "check", "--size-only", str(big), dest)
                print(f"round {r + 1}: {name}: small {times[name]['small'][-1]:.2f} s, "
                      f"big {times[name]['big'][-1]:.2f} s", file=sys.stderr, flush=True)

        print(f"\nrclone copy, median of {args.rounds} rounds ({args.binary}):")
        rate = {}
        for name in systems:
            s = statistics.median(times[name]["small"])
            b = statistics.median(times[name]["big"])
            rate[name] = (args.small / s, args.big_mib / b)
            print(f"  {name:13} {args.small} x 4 KiB: {s:7.2f} s ({rate[name][0]:7.1f} files/s)"
                  f"   {args.big_mib} MiB: {b:7.2f} s ({rate[name][1]:7.1f} MiB/s)")
        print(f"  ratio Ferry/rclone-serve: small files "
              f"{rate['ferry'][0] / rate['rclone-serve'][0]:.2f}x, big file "
              f"{rate['ferry'][1] / rate['rclone-serve'][1]:.2f}x (goal >= 1x)")
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
