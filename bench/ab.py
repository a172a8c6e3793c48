#!/usr/bin/env python3
"""Before/after: two Ferry binaries side by side on `bench/run`'s per-request rows, so that a
change is measured against the commit before it in one run, on the same machine state.

Usage: bench/ab.py --base OLD_BINARY --binary NEW_BINARY [--rounds 3] [--small-files 3000]
                   [--size-mib 1024] [--secs 10]

Rows (as in `bench/run`): one upload of `--size-mib` MiB in a single stream (`curl -T`, the
server checks SHA-256 and fsyncs before its 201), `--small-files` uploads of 4 KiB on one
keep-alive connection (every 201 checked against the SHA-256 of what was sent), and metadata
GET on 64 connections (wrk, `GET /api/v1/files/{id}` with a bearer token). Each binary serves
its own data dir; rounds alternate between them (the first one swaps every round). Prints every
run, then the medians and the ratio new/base for each row. Standard library, curl and wrk only.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metadata_get import Ferry, wrk  # noqa: E402  (a sibling script, not a package)

MIB = 1024 * 1024


def new_folder(f: Ferry, name: str) -> str:
    c = http.client.HTTPConnection("127.0.0.1", f.port, timeout=30)
    c.request("POST", "/api/v1/folders", json.dumps({"name": name, "retention_days": 0}),
              {**f.auth, "Content-Type": "application/json"})
    r = c.getresponse()
    body = json.loads(r.read())
    if r.status != 201:
        raise SystemExit(f"POST /folders: {r.status} {body}")
    return body["id"]


def big_upload(f: Ferry, big: Path, sha: str, rnd: int) -> float:
    folder = new_folder(f, f"big-{rnd}-{time.time_ns()}")
    with open(big, "rb") as fh:  # page-cache the file: a CPU and software-path number
        while fh.read(8 * MIB):
            pass
    out = subprocess.run(
        ["curl", "-sS", "-X", "POST", "-T", str(big), "-w", "\n%{http_code} %{time_total}",
         "-H", f"Authorization: {f.auth['Authorization']}",
         "-H", "Content-Type: application/octet-stream",
         f"http://127.0.0.1:{f.port}/api/v1/folders/{folder}/files?filename=big.bin"],
        capture_output=True, text=True, check=True).stdout
    body, status = out.rsplit("\n", 1)
    code, secs = status.split()
    if code != "201" or json.loads(body).get("checksum_sha256") != sha:
        raise SystemExit(f"big upload: HTTP {code} {body[:300]}")
    return big.stat().st_size / MIB / float(secs)


def small_uploads(f: Ferry, contents: list[bytes], rnd: int) -> float:
    folder = new_folder(f, f"small-{rnd}-{time.time_ns()}")
    c = http.client.HTTPConnection("127.0.0.1", f.port, timeout=30)
    headers = {**f.auth, "Content-Type": "application/octet-stream"}
    answers = []
    t = time.monotonic()
    for i, data in enumerate(contents):
        c.request("POST", f"/api/v1/folders/{folder}/files?filename=s{i}.bin", data, headers)
        r = c.getresponse()
        answers.append((r.status, r.read()))
    secs = time.monotonic() - t
    for data, (status, body) in zip(contents, answers):
        if status != 201 or json.loads(body)["checksum_sha256"] != hashlib.sha256(data).hexdigest():
            raise SystemExit(f"small upload: HTTP {status} {body[:300]!r}")
    return len(contents) / secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=Path, required=True, help="the binary before the change")
    ap.add_argument("--binary", type=Path, required=True, help="the binary after the change")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--small-files", type=int, default=3000)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--secs", type=int, default=10, help="wrk duration per metadata run")
    args = ap.parse_args()
    rows = {"1 upload, single stream (MiB/s)": [], "4 KiB uploads, sequential (files/s)": [],
            "metadata GET, 64 connections (req/s)": []}
    with tempfile.TemporaryDirectory(prefix="ferry-ab-") as tmp:
        big = Path(tmp) / "big.bin"
        h = hashlib.sha256()
        with open(big, "wb") as fh:
            for _ in range(args.size_mib // 4):
                chunk = os.urandom(4 * MIB)
                h.update(chunk)
                fh.write(chunk)
        sha = h.hexdigest()
        servers = {"base": Ferry(args.base, Path(tmp) / "base"),
                   "new": Ferry(args.binary, Path(tmp) / "new")}
        results = {name: {row: [] for row in rows} for name in servers}
        try:
            for rnd in range(args.rounds):
                order = ["base", "new"] if rnd % 2 == 0 else ["new", "base"]
                contents = [os.urandom(4096) for _ in range(args.small_files)]
                for name in order:
                    f = servers[name]
                    os.sync()
                    up = big_upload(f, big, sha, rnd)
                    os.sync()
                    small = small_uploads(f, contents, rnd)
                    meta = wrk(f.port, f.auth, f.file_id, args.secs)["req/s"]
                    for row, v in zip(rows, (up, small, meta)):
                        results[name][row].append(v)
                    print(f"round {rnd + 1} {name:<4} upload {up:,.0f} MiB/s, small "
                          f"{small:,.0f} files/s, metadata {meta:,.0f} req/s", flush=True)
        finally:
            for f in servers.values():
                f.stop()
    print(f"\nmedians over {args.rounds} rounds ({args.size_mib} MiB upload, "
          f"{args.small_files} small files, wrk {args.secs} s)")
    print(f"{'row':<40} {'base':>10} {'new':>10} {'new/base':>9}")
    for row in rows:
        b = statistics.median(results["base"][row])
        n = statistics.median(results["new"][row])
        print(f"{row:<40} {b:>10,.0f} {n:>10,.0f} {n / b:>8.2f}x")


if __name__ == "__main__":
    main()
