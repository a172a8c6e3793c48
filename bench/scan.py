#!/usr/bin/env python3
"""Virus scanning: the latency Ferry adds to an upload by scanning it, against `clamdscan
--stream` of the same file, both against the same clamd.

Usage: bench/scan.py [--size-mib 100] [--runs 5] [--intervals 1000,50] [--binary PATH] [--out FILE]

What is measured, for each run, on a new file of random bytes (new content each time, since
Ferry scans identical content only once):
  clamdscan   wall time of `clamdscan --stream --no-summary FILE` (the file is in the page
              cache): the client reads the file and sends it to clamd with INSTREAM, clamd
              scans it and answers.
  ferry scan  from the upload's 2xx response (`POST /folders/{id}/files`, the file is
              published) until `GET /files/{id}` says `scan.status: "clean"`, polled every
              5 ms: the scan worker notices the content (it polls every `scan.interval_ms`),
              streams it from the blob store to clamd with zINSTREAM and records the verdict.
              This is the latency scanning adds to an upload under `block_until_clean`: how
              long a finished upload cannot be downloaded.
The ratio is median(ferry scan) / median(clamdscan); the goal is <= 1.1x. Ferry runs once per
`--intervals` value of `scan.interval_ms` (1000 is the default).

clamd is started here (Debian: clamav-daemon, clamav, clamdscan) on a loopback TCP port with a
signature database written here (only the EICAR test file's MD5 signature, as in the tests:
no signature download is possible on these machines), StreamMaxLength / MaxFileSize /
MaxScanSize raised so that clamd scans all of a 100 MiB file for both clients. With a full
signature database clamd's own scanning takes longer, the same for both clients, which
brings the ratio closer to 1.

Python standard library only. `--binary` defaults to target/profiling/ferry (built with
`cargo build --profile profiling -p ferry` if missing).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
MIB = 1 << 20
EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD" + "-ANTIVIRUS-TEST-FILE!$H+H*"


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_clamd(dir: Path, port: int) -> subprocess.Popen:
    clamd = shutil.which("clamd") or "/usr/sbin/clamd"
    for tool in (clamd, shutil.which("sigtool"), shutil.which("clamdscan")):
        if not tool or not os.access(tool, os.X_OK):
            raise SystemExit("needs clamd, sigtool and clamdscan: "
                             "apt-get install -y clamav-daemon clamav clamdscan")
    (dir / "db").mkdir(parents=True)
    (dir / "tmp").mkdir()
    (dir / "eicar.com").write_text(EICAR)
    with open(dir / "db/test.hdb", "wb") as out:
        subprocess.run(["sigtool", "--md5", str(dir / "eicar.com")], stdout=out, check=True)
    (dir / "eicar.com").unlink()
    conf = dir / "clamd.conf"
    conf.write_text(f"""DatabaseDirectory {dir}/db
TemporaryDirectory {dir}/tmp
TCPSocket {port}
TCPAddr 127.0.0.1
Foreground yes
LogFile {dir}/clamd.log
StreamMaxLength 400M
MaxFileSize 400M
MaxScanSize 800M
MaxThreads 4
""")
    proc = subprocess.Popen([clamd, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"zPING\0")
                if s.recv(16).startswith(b"PONG"):
                    return proc
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"clamd exited: see {dir}/clamd.log")
        time.sleep(0.1)
    raise SystemExit("clamd did not start")


def clamdscan(conf: Path, file: Path) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(["clamdscan", f"--config-file={conf}", "--stream", "--no-summary",
                        str(file)], capture_output=True, text=True)
    took = time.perf_counter() - t0
    if r.returncode != 0 or not r.stdout.strip().endswith("OK"):
        raise SystemExit(f"clamdscan: {r.returncode} {r.stdout} {r.stderr}")
    return took


def start_ferry(binary: Path, data: Path, port: int, clamd_port: int, interval_ms: int):
    env = dict(os.environ, FERRY_ADMIN__PASSWORD=PASSWORD, FERRY_LOG__ACCESS="false",
               FERRY_LIMITS__MAX_FILE_SIZE=str(8 << 30),
               FERRY_SCAN__CLAMD_ADDRESS=f"tcp://127.0.0.1:{clamd_port}",
               FERRY_SCAN__MAX_STREAM_BYTES=str(400 * MIB),
               FERRY_SCAN__INTERVAL_MS=str(interval_ms))
    proc = subprocess.Popen([str(binary), "serve", "--listen", f"127.0.0.1:{port}",
                             "--data-dir", str(data)],
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
        self.auth = {}
        body = self.call("POST", "/auth/session", {"login": "admin", "password": PASSWORD})
        self.auth = {"Authorization": f"Bearer {body['access_token']}"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, method, path, body=None, raw=None, conn=None):
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = dict(self.auth)
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

    def upload_then_clean(self, folder: str, file: Path) -> tuple[float, float]:
        """(upload seconds, seconds from the upload's 2xx to scan status clean)."""
        q = urllib.parse.urlencode({"filename": file.name})
        t0 = time.perf_counter()
        with open(file, "rb") as f:
            id = self.call("POST", f"/folders/{folder}/files?{q}", raw=f)["id"]
        t1 = time.perf_counter()
        while True:
            status = self.call("GET", f"/files/{id}", conn=self.conn)["scan"]["status"]
            if status == "clean":
                return t1 - t0, time.perf_counter() - t1
            if status not in ("pending",):
                raise SystemExit(f"scan status {status}")
            time.sleep(0.005)


def random_file(path: Path, size_mib: int) -> None:
    with open(path, "wb") as f:
        for _ in range(size_mib):
            f.write(os.urandom(MIB))


def fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1000:7.0f} ms  (runs: " + \
        ", ".join(f"{x * 1000:.0f}" for x in xs) + ")"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--intervals", default="1000,50",
                    help="scan.interval_ms values to run Ferry with (comma-separated)")
    ap.add_argument("--binary", type=Path, default=REPO / "target/profiling/ferry")
    ap.add_argument("--out", type=Path, default=REPO / "bench/results/scan.txt")
    args = ap.parse_args()
    if not args.binary.exists():
        subprocess.run(["cargo", "build", "--profile", "profiling", "-p", "ferry"], cwd=REPO,
                       check=True)
    intervals = [int(x) for x in args.intervals.split(",")]

    results: dict[int, tuple[list[float], list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory(dir=REPO / "target") as tmp:
        tmp = Path(tmp)
        clamd_port = free_port()
        clamd = start_clamd(tmp / "clamd", clamd_port)
        conf = tmp / "clamd/clamd.conf"
        try:
            # clamd's first scan loads its engine state: warm it once.
            warm = tmp / "warm.bin"
            random_file(warm, 1)
            clamdscan(conf, warm)
            for interval in intervals:
                port = free_port()
                ferry = start_ferry(args.binary, tmp / f"data-{interval}", port, clamd_port,
                                    interval)
                try:
                    api = Api(port)
                    folder = api.call("POST", "/folders", {"name": "scan"})["id"]
                    ups, scans, cds = [], [], []
                    for i in range(args.runs + 1):
                        f = tmp / f"file-{interval}-{i}.bin"
                        random_file(f, args.size_mib)
                        cd = clamdscan(conf, f)
                        up, scan = api.upload_then_clean(folder, f)
                        f.unlink()
                        if i == 0:
                            continue  # warm-up round: not counted
                        cds.append(cd)
                        ups.append(up)
                        scans.append(scan)
                    results[interval] = (cds, ups, scans)
                finally:
                    ferry.terminate()
                    ferry.wait()
        finally:
            clamd.terminate()
            clamd.wait()

    binary = args.binary.relative_to(REPO) if args.binary.is_relative_to(REPO) else args.binary
    lines = [
        f"bench/scan.py  {time.strftime('%Y-%m-%d')}  {platform.machine()} {os.cpu_count()} cores  "
        f"binary {binary}  {args.size_mib} MiB of random bytes per run, {args.runs} runs "
        f"(+1 warm-up), clamd with an EICAR-only signature database",
    ]
    for interval, (cds, ups, scans) in results.items():
        ratio = statistics.median(scans) / statistics.median(cds)
        lines += [
            f"scan.interval_ms = {interval}:",
            f"  clamdscan --stream:                 {fmt(cds)}",
            f"  ferry upload (POST, to 2xx):        {fmt(ups)}",
            f"  ferry scan (2xx -> status clean):   {fmt(scans)}",
            f"  ratio ferry scan / clamdscan: {ratio:.2f}x (goal <= 1.1x)",
        ]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
