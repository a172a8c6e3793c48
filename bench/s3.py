#!/usr/bin/env python3
"""Ferry on S3 against the S3 server itself: 1 GiB uploaded and downloaded through Ferry
(`storage.backend = "s3"`) and PUT/GET directly to the same s3s-fs with curl's SigV4 (the
physical reference), all on loopback, one client at a time.

Usage: bench/s3.py [--size-mib 1024] [--runs 3] [--binary PATH] [--s3s PATH] [--out FILE]
                   [--sign-payload auto|always|never]

Workloads (each `--runs` times, median reported):
  direct PUT     curl --aws-sigv4 -T file   http://s3s/ferry/direct.bin (one PutObject)
  direct multipart  the same file as one multipart upload by object_store's put_multipart,
                 with Ferry's S3 client settings, part size and parts in flight
                 (crates/ferry-blob/examples/s3_direct_upload.rs): what any multipart upload
                 costs the server, s3s-fs's completion copy included
  direct GET     curl --aws-sigv4           http://s3s/ferry/direct.bin > /dev/null
  ferry upload   curl -T file -X POST /api/v1/folders/{id}/files (simple upload: streamed to
                 S3 in 8 MiB multipart parts, SHA-256 on the way)
  ferry resumable  the native protocol, 64 MiB parts, 4 in parallel, then complete
  ferry download curl /api/v1/files/{id}/content > /dev/null (one ranged GetObject, streamed)

Prints MiB/s and the ratios Ferry/direct (the goal is >= 0.8x) and writes them to --out
(default bench/results/s3.txt). `--binary` defaults to target/release/ferry (built with
`cargo build --release` if missing), the direct multipart uploader to `examples/` next to it;
`--s3s` to $FERRY_TEST_S3_BIN or ~/.cache/ferry-ci/s3s-fs-0.14.1. `--sign-payload` sets
`storage.s3.sign_payload` for Ferry and the direct multipart upload alike (unset: their
default, `auto`, which signs over s3s-fs's http://). Ferry's CPU seconds per upload
(/proc/<pid>/stat) are printed next to the rates.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import platform
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
KEY, SECRET, BUCKET = "bench-key", "bench-secret-0123456789", "ferry"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str) -> None:
    for _ in range(400):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing answers on port {port}")


def curl(args: list[str]) -> float:
    """Runs curl, fails on an HTTP error, returns the transfer time in seconds."""
    out = subprocess.run(["curl", "-sS", "--fail-with-body", "-o", "/dev/null",
                          "-w", "%{time_total}", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"curl {args[-1]}: {out.stdout} {out.stderr}")
    return float(out.stdout)


class Api:
    def __init__(self, port: int):
        self.port = port
        body = self.call("POST", "/auth/session", {"login": "admin", "password": PASSWORD}, auth={})
        self.token = body["access_token"]

    def call(self, method, path, body=None, auth=None, raw=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        h = {"Authorization": f"Bearer {self.token}"} if auth is None else dict(auth)
        h.update(headers or {})
        data = None
        if raw is not None:
            data = raw
            h["Content-Type"] = "application/octet-stream"
        elif body is not None:
            data = json.dumps(body)
            h["Content-Type"] = "application/json"
        c.request(method, "/api/v1" + path, body=data, headers=h)
        r = c.getresponse()
        out = r.read()
        if r.status not in (200, 201, 202, 204):
            raise SystemExit(f"{method} {path}: {r.status} {out[:300]!r}")
        return json.loads(out) if out else {}


def resumable(api: Api, folder: str, path: Path, size: int, sha: str) -> float:
    part = 64 * MIB
    t0 = time.perf_counter()
    up = api.call("POST", "/uploads", {"folder_id": folder, "filename": f"r{time.time_ns()}.bin",
                                        "size": size, "checksum_sha256": sha, "part_size": part})

    def send(n: int) -> None:
        with open(path, "rb") as f:
            f.seek((n - 1) * part)
            data = f.read(part)
        api.call("PATCH", f"/uploads/{up['upload_id']}/parts/{n}", raw=data)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(send, range(1, up["part_count"] + 1)))
    done = api.call("POST", f"/uploads/{up['upload_id']}/complete", {})
    while done.get("status") == "completing":
        time.sleep(0.05)
        done = api.call("GET", f"/uploads/{up['upload_id']}")
    if done.get("status") not in (None, "completed"):
        raise SystemExit(f"resumable upload ended {done.get('status')}")
    elapsed = time.perf_counter() - t0
    file_id = done.get("file_id") or done.get("id")
    api.call("DELETE", f"/files/{file_id}")
    return elapsed


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--binary", type=Path, default=REPO / "target/release/ferry")
    ap.add_argument("--s3s", type=Path, default=Path(os.environ.get(
        "FERRY_TEST_S3_BIN", Path.home() / ".cache/ferry-ci/s3s-fs-0.14.1")))
    ap.add_argument("--out", type=Path, default=REPO / "bench/results/s3.txt")
    ap.add_argument("--sign-payload", choices=("auto", "always", "never"))
    args = ap.parse_args()
    if not args.binary.exists():
        subprocess.run(["cargo", "build", "--release", "-p", "ferry"], cwd=REPO, check=True)
    direct_bin = args.binary.parent / "examples" / "s3_direct_upload"
    if not direct_bin.exists():
        profile = args.binary.parent.name
        subprocess.run(["cargo", "build", "--profile", "release" if profile == "release" else profile,
                        "-p", "ferry-blob", "--features", "s3", "--example", "s3_direct_upload"],
                       cwd=REPO, check=True)
    load_before = os.getloadavg()
    size = args.size_mib * MIB
    procs = []
    with tempfile.TemporaryDirectory(dir=REPO / "target") as tmp:
        tmp = Path(tmp)
        (tmp / "s3" / BUCKET).mkdir(parents=True)
        s3_port, ferry_port = free_port(), free_port()
        try:
            procs.append(subprocess.Popen(
                [str(args.s3s), "--host", "127.0.0.1", "--port", str(s3_port), "--access-key", KEY,
                 "--secret-key", SECRET, str(tmp / "s3")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_http(s3_port, "/")
            env = dict(os.environ, FERRY_ADMIN__PASSWORD=PASSWORD, FERRY_LOG__ACCESS="false",
                       FERRY_LIMITS__MAX_FILE_SIZE=str(8 << 30), FERRY_STORAGE__BACKEND="s3",
                       FERRY_STORAGE__S3__BUCKET=BUCKET,
                       FERRY_STORAGE__S3__ENDPOINT=f"http://127.0.0.1:{s3_port}",
                       FERRY_STORAGE__S3__REGION="us-east-1", FERRY_STORAGE__S3__ALLOW_HTTP="true",
                       FERRY_STORAGE__S3__ACCESS_KEY_ID=KEY,
                       FERRY_STORAGE__S3__SECRET_ACCESS_KEY=SECRET)
            sign = [args.sign_payload] if args.sign_payload else []
            if args.sign_payload:
                env["FERRY_STORAGE__S3__SIGN_PAYLOAD"] = args.sign_payload
            procs.append(subprocess.Popen(
                [str(args.binary), "serve", "--listen", f"127.0.0.1:{ferry_port}", "--data-dir",
                 str(tmp / "ferry")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_http(ferry_port, "/readyz")
            api = Api(ferry_port)
            folder = api.call("POST", "/folders", {"name": "bench"})["id"]

            src = tmp / "big.bin"
            h = hashlib.sha256()
            with open(src, "wb") as f:
                for _ in range(args.size_mib):
                    block = os.urandom(MIB)
                    h.update(block)
                    f.write(block)
            sha = h.hexdigest()
            s3_url = f"http://127.0.0.1:{s3_port}/{BUCKET}/direct.bin"
            sig = ["--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{KEY}:{SECRET}"]
            auth = ["-H", f"Authorization: Bearer {api.token}"]
            ferry_pid = procs[-1].pid
            cpu: dict[str, list[float]] = {"ferry upload": [], "ferry resumable": []}
            times: dict[str, list[float]] = {k: [] for k in (
                "direct PUT", "direct multipart", "direct GET", "ferry upload", "ferry resumable",
                "ferry download")}
            direct_env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
            file_id = None
            for run in range(args.runs):
                times["direct PUT"].append(curl([*sig, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                                                 "-T", str(src), s3_url]))
                out = subprocess.run([str(direct_bin), f"http://127.0.0.1:{s3_port}", BUCKET,
                                      "direct-multipart.bin", str(src), *sign],
                                     env=direct_env, capture_output=True, text=True, check=True)
                times["direct multipart"].append(float(out.stdout))
                times["direct GET"].append(curl([*sig, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                                                 s3_url]))
                q = urllib.parse.urlencode({"filename": f"u{run}.bin"})
                c0 = cpu_seconds(ferry_pid)
                t0 = time.perf_counter()
                out = subprocess.run(
                    ["curl", "-sS", "--fail-with-body", *auth, "-H", "Content-Type: application/octet-stream",
                     "-X", "POST", "-T", str(src), f"http://127.0.0.1:{ferry_port}/api/v1/folders/{folder}/files?{q}"],
                    capture_output=True, text=True, check=True)
                times["ferry upload"].append(time.perf_counter() - t0)
                cpu["ferry upload"].append(cpu_seconds(ferry_pid) - c0)
                file_id = json.loads(out.stdout)["id"]
                c0 = cpu_seconds(ferry_pid)
                times["ferry resumable"].append(resumable(api, folder, src, size, sha))
                cpu["ferry resumable"].append(cpu_seconds(ferry_pid) - c0)
                times["ferry download"].append(curl([*auth, f"http://127.0.0.1:{ferry_port}/api/v1/files/{file_id}/content"]))
                api.call("DELETE", f"/files/{file_id}")
        finally:
            for p in procs:
                p.terminate()
                p.wait()
    load_after = os.getloadavg()
    rate = {k: size / MIB / statistics.median(v) for k, v in times.items()}
    lines = [f"bench/s3.py: {args.size_mib} MiB, {args.runs} runs, median MiB/s "
             f"({platform.node()}, {os.cpu_count()} cores, s3s-fs 0.14.1 on loopback, "
             f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
             f"sign_payload {args.sign_payload or 'unset'})"]
    lines += [f"  {k:<16} {v:8.0f} MiB/s" + (
                  f"   ferry CPU {statistics.median(cpu[k]):.1f} s" if k in cpu else "")
              for k, v in rate.items()]
    up, res = rate["ferry upload"], rate["ferry resumable"]
    for ref in ("direct multipart", "direct PUT"):
        lines.append(f"  upload    ferry/{ref} = {up / rate[ref]:.2f}x (simple), "
                     f"{res / rate[ref]:.2f}x (resumable, 4 parallel parts)")
    lines += [f"  download  ferry/direct GET = {rate['ferry download'] / rate['direct GET']:.2f}x",
              "  goal: >= 0.8x"]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
