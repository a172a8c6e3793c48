#!/usr/bin/env python3
"""Metadata GET under load: two Ferry binaries side by side, the same workload as `bench/run`'s
"metadata GET, 64 connections (wrk)" (`GET /api/v1/files/{id}` with a bearer token, wrk 2
threads, 64 connections, rate limits exempt on loopback as there).

Usage: bench/metadata_get.py --base OLD_BINARY --binary NEW_BINARY [--rounds 5] [--secs 10]

Each binary serves its own data dir (one small file, one admin session). Rounds alternate
between the two (the first one rotates), so that both see the same machine; prints every run,
the medians and the ratio new/base. Python standard library and wrk only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

PASSWORD = "bench-password-not-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, method: str, path: str, body=None, headers=None) -> dict:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:300]!r}")
    return json.loads(data) if data else {}


class Ferry:
    def __init__(self, binary: Path, data: Path):
        self.port = free_port()
        env = dict(os.environ, FERRY_ADMIN__PASSWORD=PASSWORD,
                   FERRY_RATE_LIMITS__EXEMPT_LOOPBACK="true")
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(data)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(400):
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        else:
            raise SystemExit(f"{binary} did not start")
        login = json.dumps({"login": "admin", "password": PASSWORD})
        session = call(self.port, "POST", "/api/v1/auth/session", login,
                       {"Content-Type": "application/json"})
        self.auth = {"Authorization": f"Bearer {session['access_token']}"}
        folder = call(self.port, "POST", "/api/v1/folders",
                      json.dumps({"name": f"bench-{time.time_ns()}", "retention_days": 0}),
                      {**self.auth, "Content-Type": "application/json"})["id"]
        self.file_id = call(self.port, "POST", f"/api/v1/folders/{folder}/files?filename=meta.txt",
                            b"metadata benchmark\n",
                            {**self.auth, "Content-Type": "application/octet-stream"})["id"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def wrk(port: int, auth: dict, file_id: str, secs: int) -> dict:
    r = subprocess.run(["wrk", "-t2", "-c64", f"-d{secs}s", "--latency", "--timeout", "5s",
                        "-H", f"Authorization: {auth['Authorization']}",
                        f"http://127.0.0.1:{port}/api/v1/files/{file_id}"],
                       capture_output=True, text=True, check=True)
    text = r.stdout
    if "Non-2xx" in text:
        raise SystemExit(f"wrk saw errors:\n{text}")

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return float(m[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m[2]]

    return {"req/s": float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1]),
            "p50": pct("50"), "p99": pct("99")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--binary", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--secs", type=int, default=10)
    args = ap.parse_args()
    runs = {"base": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        for rnd in range(args.rounds):
            order = ["base", "new"] if rnd % 2 == 0 else ["new", "base"]
            for label in order:
                binary = args.base if label == "base" else args.binary
                server = Ferry(binary, Path(tmp) / label)
                try:
                    wrk(server.port, server.auth, server.file_id, 2)  # warm-up
                    out = wrk(server.port, server.auth, server.file_id, args.secs)
                finally:
                    server.stop()
                runs[label].append(out)
                print(f"round {rnd + 1} {label:4}: {out['req/s']:9,.0f} req/s  p50 {out['p50']:.2f} ms"
                      f"  p99 {out['p99']:.2f} ms  (load {os.getloadavg()[0]:.1f})", flush=True)
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("req/s", "p50", "p99")}
           for k, v in runs.items()}
    for k in ("base", "new"):
        print(f"median {k:4}: {med[k]['req/s']:9,.0f} req/s  p50 {med[k]['p50']:.2f} ms"
              f"  p99 {med[k]['p99']:.2f} ms")
    print(f"ratio new/base: {med['new']['req/s'] / med['base']['req/s']:.2f}x req/s")


if __name__ == "__main__":
    main()
