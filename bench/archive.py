#!/usr/bin/env python3
"""Folder archives against two peers, all from the page cache, read by one client that
discards the bytes:
- #12: the zip of 1 GiB in 1,000 files (`GET /folders/{id}/archive`) against
  `GET /files/{id}/content` of one 1 GiB file on the same server (goal >= 0.9x);
- #16: the same archive against Debian's `zip -0 -r -` of the same 1,000 files (the same
  bytes, written to a directory) into /dev/null (goal >= 1x; `apt-get install -y zip`).

Usage: bench/archive.py [--files 1000] [--size-mib 1024] [--runs 5] [--binary PATH]
                        [--before PATH] [--out FILE]

Prints the median throughput of each and both ratios, and writes the same to --out (default
bench/results/archive.txt). With `--before`, that binary serves the same data first (same
data directory, one server at a time) and both binaries' figures are printed, each measured
alternately with its own peers. Python standard library only. `--binary` defaults to
target/release/ferry (built with `cargo build --release` if missing).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
MIB = 1 << 20


def start(binary: Path, data: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, FERRY_ADMIN__PASSWORD=PASSWORD, FERRY_LOG__ACCESS="false",
               FERRY_LIMITS__MAX_FILE_SIZE=str(8 << 30))
    proc = subprocess.Popen([str(binary), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("ferry did not start")


class Api:
    def __init__(self, port: int):
        self.port = port
        body = self.call("POST", "/auth/session", {"login": "admin", "password": PASSWORD}, auth={})
        self.auth = {"Authorization": f"Bearer {body['access_token']}"}

    def call(self, method, path, body=None, auth=None, raw=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = dict(self.auth if auth is None else auth)
        data = None
        if raw is not None:
            data = raw
            headers["Content-Type"] = "application/octet-stream"
        elif body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        c.request(method, "/api/v1" + path, body=data, headers=headers)
        r = c.getresponse()
        out = r.read()
        if r.status not in (200, 201):
            raise SystemExit(f"{method} {path}: {r.status} {out[:300]!r}")
        return json.loads(out)

    def upload(self, folder: str, name: str, data) -> dict:
        q = urllib.parse.urlencode({"filename": name})
        return self.call("POST", f"/folders/{folder}/files?{q}", raw=data)

    def drain(self, method: str, path: str, body=None) -> tuple[int, float]:
        """Reads the whole response with a 1 MiB buffer; (bytes, seconds)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = dict(self.auth)
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        c.request(method, "/api/v1" + path, body=data, headers=headers)
        r = c.getresponse()
        if r.status != 200:
            raise SystemExit(f"{method} {path}: {r.status}")
        n = 0
        buf = bytearray(MIB)
        view = memoryview(buf)
        while True:
            k = r.readinto(view)
            if not k:
                break
            n += k
        return n, time.perf_counter() - t0


def zip_peer(folder: Path) -> tuple[int, float]:
    """`zip -0 -q -r - <folder>` into /dev/null; (archive bytes, seconds)."""
    t0 = time.perf_counter()
    subprocess.run(["zip", "-0", "-q", "-r", "-", folder.name], cwd=folder.parent,
                   stdout=subprocess.DEVNULL, check=True)
    return 0, time.perf_counter() - t0


def zip_size(folder: Path) -> int:
    """The length of what `zip -0 -q -r -` writes (read through a pipe, not timed)."""
    n = 0
    with subprocess.Popen(["zip", "-0", "-q", "-r", "-", folder.name], cwd=folder.parent,
                          stdout=subprocess.PIPE) as p:
        while chunk := p.stdout.read(MIB):
            n += len(chunk)
    if p.returncode:
        raise SystemExit("zip failed")
    return n


def label(binary: Path) -> str:
    return str(binary.relative_to(REPO) if binary.is_relative_to(REPO) else binary)


def measure(binary: Path, data: Path, port: int, runs: int, file_id: str, many: str,
            peer_dir: Path, peer_bytes: int) -> dict:
    """Medians (bytes/s) of one binary: the file, the archive and zip -0, alternately."""
    proc = start(binary, data, port)
    try:
        api = Api(port)
        # Warm the page cache (and the CRCs, already known) once each.
        api.drain("GET", f"/files/{file_id}/content")
        api.drain("GET", f"/folders/{many}/archive")
        zip_peer(peer_dir)
        single, archive, peer = [], [], []
        for _ in range(runs):
            n, s = api.drain("GET", f"/files/{file_id}/content")
            single.append(n / s)
            n, s = api.drain("GET", f"/folders/{many}/archive")
            archive.append(n / s)
            _, s = zip_peer(peer_dir)
            peer.append(peer_bytes / s)
    finally:
        proc.terminate()
        proc.wait()
    return {"single": single, "archive": archive, "zip": peer}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--binary", type=Path, default=REPO / "target/release/ferry")
    ap.add_argument("--before", type=Path, help="another binary measured first, on the same data")
    ap.add_argument("--out", type=Path, default=REPO / "bench/results/archive.txt")
    ap.add_argument("--port", type=int, default=18931)
    args = ap.parse_args()
    if not args.binary.exists():
        subprocess.run(["cargo", "build", "--release", "-p", "ferry"], cwd=REPO, check=True)
    if shutil.which("zip") is None:
        raise SystemExit("zip is missing: apt-get install -y zip")

    total = args.size_mib * MIB
    per_file = total // args.files
    binaries = ([args.before] if args.before else []) + [args.binary]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        peer_dir = tmp / "many"
        peer_dir.mkdir()
        proc = start(binaries[0], tmp / "data", args.port)
        try:
            api = Api(args.port)
            many = api.call("POST", "/folders", {"name": "many"})["id"]
            one = api.call("POST", "/folders", {"name": "one"})["id"]
            for i in range(args.files):
                content = os.urandom(per_file)
                api.upload(many, f"f{i:05}.bin", content)
                (peer_dir / f"f{i:05}.bin").write_bytes(content)
            big = tmp / "big.bin"
            with open(big, "wb") as f:
                for _ in range(args.size_mib):
                    f.write(os.urandom(MIB))
            with open(big, "rb") as f:
                file_id = api.upload(one, "big.bin", f)["id"]
            big.unlink()
        finally:
            proc.terminate()
            proc.wait()
        peer_bytes = zip_size(peer_dir)
        for binary in binaries:
            results.append((binary, measure(binary, tmp / "data", args.port, args.runs, file_id,
                                            many, peer_dir, peer_bytes)))

    def runs(xs):
        return ", ".join(f"{x / MIB:.0f}" for x in xs)

    lines = [f"bench/archive.py  {time.strftime('%Y-%m-%d')}  {platform.machine()} "
             f"{os.cpu_count()} cores  load average {os.getloadavg()[0]:.1f} at the end"]
    for binary, r in results:
        s_med, a_med, z_med = (statistics.median(r[k]) for k in ("single", "archive", "zip"))
        lines += [
            f"binary {label(binary)}",
            f"  one {args.size_mib} MiB file, GET /files/{{id}}/content:        median {s_med / MIB:8.1f} MiB/s  "
            f"(runs: {runs(r['single'])})",
            f"  {args.files} files of {per_file // 1024} KiB, GET /folders/{{id}}/archive: median {a_med / MIB:8.1f} MiB/s  "
            f"(runs: {runs(r['archive'])})",
            f"  the same files, zip -0 -r - > /dev/null:            median {z_med / MIB:8.1f} MiB/s  "
            f"(runs: {runs(r['zip'])})",
            f"  ratio archive/file: {a_med / s_med:.2f}x (#12, goal >= 0.9x)",
            f"  ratio archive/zip -0: {a_med / z_med:.2f}x (#16, goal >= 1x)",
        ]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
