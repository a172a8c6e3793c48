#!/usr/bin/env python3
"""`ferry sync` against `rclone sync` of the same tree to the same Ferry server (through its
WebDAV door), and against `rclone sync` to a local directory (the floor: no network, no server).

Usage: bench/sync.py [--binary PATH] [--small 1000] [--big 3] [--big-mib 64] [--rounds 3]
                     [--out bench/results/sync.txt]

Starts one Ferry (SQLite, a fresh data dir), makes a tree of `--small` files of 4 KiB (in 10
subdirectories) and `--big` files of `--big-mib` MiB, then for each round and each system,
alternately: a first sync into a new, empty destination, then a no-op re-sync of the unchanged
tree. Both clients run with 4 files at once (`--transfers 4`, rclone's default). Prints the
median seconds of each and the ratios rclone/ferry of the times (> 1x: ferry sync is faster);
with --out, writes the same text there. Needs rclone (Debian's package). `--binary` defaults to
target/release/ferry (the client and the server).
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
from webdav import free_port, remote_env  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MIB = 1 << 20


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return time.perf_counter() - t


def make_tree(root: Path, small: int, big: int, big_mib: int) -> None:
    for i in range(small):
        d = root / f"dir{i % 10}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:05}.bin").write_bytes(os.urandom(4096))
    for i in range(big):
        with open(root / f"big{i}.bin", "wb") as f:
            for _ in range(big_mib):
                f.write(os.urandom(MIB))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", type=Path, default=REPO / "target" / "release" / "ferry")
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--big", type=int, default=3)
    ap.add_argument("--big-mib", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if shutil.which("rclone") is None:
        raise SystemExit("rclone is not installed (apt-get install rclone)")

    work = Path(tempfile.mkdtemp(prefix="ferry-bench-sync-", dir=REPO.parent))
    proc = None
    try:
        tree = work / "tree"
        make_tree(tree, args.small, args.big, args.big_mib)
        port = free_port()
        proc = start(args.binary, work / "ferry-data", port)
        url = f"http://127.0.0.1:{port}"
        ferry_env = dict(os.environ, FERRY_CONFIG_DIR=str(work / "ferry-config"))
        ferry = str(args.binary)
        subprocess.run([ferry, "login", url, "--login", "admin", "--password-stdin"],
                       input=PASSWORD + "\n", text=True, check=True, env=ferry_env,
                       stdout=subprocess.DEVNULL)
        rclone_env = dict(os.environ, RCLONE_CONFIG="/dev/null",
                          **remote_env("ferry", f"{url}/dav/", "admin", PASSWORD))
        # Ferry keeps files in folders: the top-level one for rclone (it makes the rest).
        subprocess.run(["rclone", "mkdir", "ferry:rclone"], check=True, env=rclone_env)

        def ferry_sync(r: int) -> list[str]:
            return [ferry, "sync", str(tree), f"ferry/r{r}", "--quiet", "--transfers", "4"]

        def rclone_dav(r: int) -> list[str]:
            return ["rclone", "sync", str(tree), f"ferry:rclone/r{r}", "--transfers", "4"]

        def rclone_local(r: int) -> list[str]:
            return ["rclone", "sync", str(tree), str(work / "local" / f"r{r}"), "--transfers", "4"]

        systems = {
            "ferry sync": (ferry_sync, ferry_env),
            "rclone sync -> Ferry WebDAV": (rclone_dav, rclone_env),
            "rclone sync -> local dir": (rclone_local, rclone_env),
        }
        times = {name: {"first": [], "again": []} for name in systems}
        for r in range(args.rounds):
            for name, (cmd, env) in systems.items():
                times[name]["first"].append(timed(cmd(r), env))
                times[name]["again"].append(timed(cmd(r), env))
                print(f"round {r + 1}: {name}: first {times[name]['first'][-1]:.2f} s, "
                      f"no-op {times[name]['again'][-1]:.2f} s", file=sys.stderr, flush=True)

        med = {n: {k: statistics.median(v) for k, v in t.items()} for n, t in times.items()}
        lines = [
            f"sync of {args.small} x 4 KiB + {args.big} x {args.big_mib} MiB, "
            f"median of {args.rounds} rounds, {args.binary.name} ({args.binary.parent.name})",
            f"{'system':30} {'first sync':>12} {'no-op re-sync':>14}",
        ]
        for n, m in med.items():
            lines.append(f"{n:30} {m['first']:10.2f} s {m['again']:12.2f} s")
        peer = med["rclone sync -> Ferry WebDAV"]
        ours = med["ferry sync"]
        lines.append(f"ratio rclone(WebDAV)/ferry sync (time; > 1x: ferry sync faster): first "
                     f"{peer['first'] / ours['first']:.2f}x, no-op "
                     f"{peer['again'] / ours['again']:.2f}x (goal >= 1x)")
        text = "\n".join(lines)
        print(text)
        if args.out:
            args.out.write_text(text + "\n")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
