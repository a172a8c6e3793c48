#!/usr/bin/env python3
"""Resumable-upload throughput: Ferry's native parts protocol against the disk itself.

Usage: bench/parallel_upload.py [--size-mib 1024] [--rounds 3]

Per round: the disk's durable write rate (dd conv=fdatasync), a 1 GiB upload sent part by
part on one connection (64 MiB parts), the same file in 8 parallel parts, and the time from the
last part's 2xx to `complete` returning. Then the server's peak RSS (VmHWM) while 8 parts of
256 MiB are in flight at once. Python standard library only; builds the release binary.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MIB = 1 << 20


def start(data: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, FERRY_ADMIN__PASSWORD="bench-password")
    proc = subprocess.Popen(
        [str(REPO / "target/release/ferry"), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
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
        c = self.conn()
        c.request("POST", "/api/v1/auth/session", json.dumps({"login": "admin", "password": "bench-password"}),
                  {"Content-Type": "application/json"})
        self.auth = {"Authorization": "Bearer " + json.loads(c.getresponse().read())["access_token"]}

    def conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)

    def json(self, method: str, path: str, body: dict | None = None, conn=None) -> tuple[int, dict]:
        c = conn or self.conn()
        c.request(method, path, json.dumps(body) if body is not None else None,
                  self.auth | {"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"{}")


def vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def reset_hwm(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def upload(api: Api, folder: str, path: Path, digest: str, part_size: int, parallel: int) -> tuple[float, float]:
    """Returns (MiB/s from create to complete, ms from the last part's 2xx to complete)."""
    size = path.stat().st_size
    t0 = time.perf_counter()
    status, up = api.json("POST", "/api/v1/uploads", {"folder_id": folder, "filename": f"f{random.random()}.bin",
                                                      "size": size, "checksum_sha256": digest, "part_size": part_size})
    assert status == 201, up
    parts = [p["part_no"] for p in up["parts"]]
    lock = threading.Lock()
    last_ack = [0.0]

    def worker(queue: list[int]) -> None:
        c = api.conn()
        with open(path, "rb") as f:
            while True:
                with lock:
                    if not queue:
                        return
                    n = queue.pop(0)
                p = up["parts"][n - 1]
                f.seek(p["offset"])
                body = f.read(p["size"])
                c.request("PATCH", p["url"], body, api.auth | {"Content-Type": "application/octet-stream"})
                r = c.getresponse()
                r.read()
                assert r.status == 200, r.status
                with lock:
                    last_ack[0] = max(last_ack[0], time.perf_counter())

    queue = list(parts)
    threads = [threading.Thread(target=worker, args=(queue,)) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    status, done = api.json("POST", f"/api/v1/uploads/{up['upload_id']}/complete", {})
    while status == 202:
        time.sleep(0.01)
        status, done = api.json("POST", f"/api/v1/uploads/{up['upload_id']}/complete", {})
    t1 = time.perf_counter()
    assert status == 201 and done["checksum_sha256"] == digest, done
    return size / MIB / (t1 - t0), (t1 - last_ack[0]) * 1000


def dd_rate(dir: Path, mib: int) -> float:
    target = dir / "dd.bin"
    t0 = time.perf_counter()
    subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={mib}", "conv=fdatasync"],
                   check=True, capture_output=True)
    rate = mib / (time.perf_counter() - t0)
    target.unlink()
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    with tempfile.TemporaryDirectory(dir=REPO / "target") as tmp:
        tmp = Path(tmp)
        src = tmp / "src.bin"
        with open(src, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(MIB))
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        port = random.randrange(20000, 30000)
        proc = start(tmp / "data", port)
        try:
            api = Api(port)
            _, folder = api.json("POST", "/api/v1/folders", {"name": "bench"})
            results: dict[str, list[float]] = {"disk": [], "single": [], "parallel": [], "complete_ms_single": [],
                                               "complete_ms_parallel": []}
            for _ in range(args.rounds):
                subprocess.run(["sync"])
                results["disk"].append(dd_rate(tmp, args.size_mib))
                subprocess.run(["sync"])
                rate, ms = upload(api, folder["id"], src, digest, 64 * MIB, 1)
                results["single"].append(rate)
                results["complete_ms_single"].append(ms)
                subprocess.run(["sync"])
                rate, ms = upload(api, folder["id"], src, digest, 128 * MIB, 8)
                results["parallel"].append(rate)
                results["complete_ms_parallel"].append(ms)
            med = {k: statistics.median(v) for k, v in results.items()}
            print(f"{'workload':44} {'min':>8} {'median':>8} {'max':>8}")
            for k, v in results.items():
                unit = "ms" if k.startswith("complete") else "MiB/s"
                print(f"{k + ' (' + unit + ')':44} {min(v):8.0f} {med[k]:8.0f} {max(v):8.0f}")
            print(f"single stream / disk durable write: {med['single'] / med['disk']:.2f}")
            print(f"8 parallel parts / disk durable write: {med['parallel'] / med['disk']:.2f}")
            # The CLI as a client: `ferry upload` against the same server, and `ferry download`
            # (which also verifies SHA-256) against curl fetching the same content.
            env = dict(os.environ, FERRY_URL=f"http://127.0.0.1:{port}",
                       FERRY_TOKEN=api.auth["Authorization"].split()[1], FERRY_CONFIG_DIR=str(tmp / "cli"))
            ferry = str(REPO / "target/release/ferry")
            cli_up, cli_down, curl_down = [], [], []
            file_id = None
            for _ in range(args.rounds):
                subprocess.run(["sync"])
                t0 = time.perf_counter()
                out = subprocess.run([ferry, "upload", "--json", str(src), "--folder", folder["id"], "--parallel", "8",
                                      "--part-size", "128MiB"], env=env, check=True, capture_output=True, text=True)
                cli_up.append(args.size_mib / (time.perf_counter() - t0))
                file_id = json.loads(out.stdout)[0]["id"]
                dst = tmp / "down.bin"
                t0 = time.perf_counter()
                subprocess.run([ferry, "download", file_id, "-o", str(dst), "--force"], env=env, check=True,
                               capture_output=True)
                cli_down.append(args.size_mib / (time.perf_counter() - t0))
                dst.unlink()
                t0 = time.perf_counter()
                subprocess.run(["curl", "-sS", "-o", str(dst), "-H", f"Authorization: {api.auth['Authorization']}",
                                f"http://127.0.0.1:{port}/api/v1/files/{file_id}/content"], check=True)
                curl_down.append(args.size_mib / (time.perf_counter() - t0))
                dst.unlink()
            print(f"ferry upload --parallel 8 (MiB/s): median {statistics.median(cli_up):.0f}; "
                  f"/ server-side 8 parallel parts: {statistics.median(cli_up) / med['parallel']:.2f}")
            print(f"ferry download (MiB/s): median {statistics.median(cli_down):.0f}; curl of the same content: "
                  f"{statistics.median(curl_down):.0f}; ratio {statistics.median(cli_down) / statistics.median(curl_down):.2f}")
            # Peak memory with 8 parts of 256 MiB in flight.
            big = tmp / "big.bin"
            with open(big, "wb") as f:
                for _ in range(2048):
                    f.write(os.urandom(MIB))
            big_digest = hashlib.sha256(big.read_bytes()).hexdigest()
            reset_hwm(proc.pid)
            upload(api, folder["id"], big, big_digest, 256 * MIB, 8)
            print(f"peak RSS with 8 parallel parts of 256 MiB (2 GiB file): {vm_hwm(proc.pid)} MiB")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
