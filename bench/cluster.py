#!/usr/bin/env python3
"""Metadata GETs on PostgreSQL: the token cache, and three nodes against one, side by side in
one run. Each configuration gets `GET /api/v1/files/{id}` with a bearer token from wrk
(2 threads, 64 connections) for `--secs` seconds, `--runs` times; the median is reported.

Configurations:
  1 node, no token cache   auth.token_cache_secs = 0: every request reads the tokens table
                           (what every request did before the cache)
  1 node, token cache      the default: the token is resolved from memory after its first use
  3 nodes + nginx          three nodes behind nginx round-robin (same machine: they share its
                           cores, so this shows the balancer's and the nodes' overhead, not
                           scale-out)

Usage: bench/cluster.py [--runs 3] [--secs 10] [--binary PATH] [--database-url URL]
                        [--out FILE]

Needs wrk and nginx (apt-get install wrk nginx-light) and PostgreSQL (default
$FERRY_TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test; a schema of its own is
created and dropped). Writes the table to --out (default bench/results/cluster.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from s3 import free_port, wait_http  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"


def api(base: str, method: str, path: str, token: str | None = None, body=None,
        raw: bytes | None = None, query: str = "") -> dict:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(f"{base}/api/v1{path}{query}", data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type",
                   "application/octet-stream" if raw is not None else "application/json")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-q", "-c", sql], check=True, capture_output=True)


def start_node(binary: Path, db_url: str, cache_secs: int, data: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, FERRY_ADMIN__PASSWORD=PASSWORD, FERRY_LOG__ACCESS="false",
               FERRY_DATABASE__URL=db_url, FERRY_AUTH__TOKEN_CACHE_SECS=str(cache_secs))
    proc = subprocess.Popen([str(binary), "serve", "--listen", f"127.0.0.1:{port}",
                             "--data-dir", str(data)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(port, "/readyz")
    return proc, f"http://127.0.0.1:{port}"


def start_nginx(nodes: list[str], work: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    upstreams = "".join(f"server {n.removeprefix('http://')};\n" for n in nodes)
    user = "user root;" if os.geteuid() == 0 else ""
    conf = work / "nginx.conf"
    conf.write_text(
        f"{user}\ndaemon off;\nworker_processes 1;\npid {work}/nginx.pid;\n"
        f"error_log {work}/error.log warn;\nevents {{ worker_connections 4096; }}\n"
        f"http {{ access_log off; client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;\n"
        f"fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;\n"
        f"upstream ferry {{ {upstreams} keepalive 64; }}\n"
        f"server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://ferry;\n"
        f"proxy_http_version 1.1; proxy_set_header Connection \"\"; }} }} }}\n")
    proc = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(work),
                             "-c", str(conf)], stdout=subprocess.DEVNULL)
    wait_http(port, "/readyz")
    return proc, f"http://127.0.0.1:{port}"


def wrk(url: str, token: str, secs: int) -> dict:
    r = subprocess.run(["wrk", "-t2", "-c64", f"-d{secs}s", "--latency", "--timeout", "5s",
                        "-H", f"Authorization: Bearer {token}", url],
                       capture_output=True, text=True)
    text = r.stdout + r.stderr
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if r.returncode != 0 or not m:
        raise SystemExit(f"wrk failed: {text[-500:]}")
    if re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
        raise SystemExit(f"wrk saw errors: {text[-500:]}")

    def pct(p: str) -> float:
        mm = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return float(mm[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[mm[2]] if mm else float("nan")

    return {"req/s": float(m[1]), "p50": pct("50"), "p99": pct("99")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--secs", type=int, default=10)
    ap.add_argument("--binary", type=Path, default=REPO / "target/release/ferry")
    ap.add_argument("--database-url", default=os.environ.get(
        "FERRY_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--out", type=Path, default=REPO / "bench/results/cluster.txt")
    args = ap.parse_args()
    if not args.binary.exists():
        subprocess.run(["cargo", "build", "--release", "-p", "ferry"], cwd=REPO, check=True)
    for tool in ("wrk", "nginx", "psql"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is missing (apt-get install wrk nginx-light postgresql-client)")

    schema = "bench_cluster_" + secrets.token_hex(4)
    psql(args.database_url, f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in args.database_url else "?"
    db_url = f"{args.database_url}{sep}options=" + urllib.parse.quote(f"-c search_path={schema}")
    results: dict[str, list[dict]] = {}
    procs: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)

            def configuration(name: str, cache_secs: int, nodes: int) -> None:
                started = []
                for i in range(nodes):
                    d = work / f"{name}-{i}"
                    d.mkdir()
                    started.append(start_node(args.binary, db_url, cache_secs, d))
                procs.extend(p for p, _ in started)
                url = started[0][1]
                if nodes > 1:
                    ng_dir = work / f"{name}-nginx"
                    ng_dir.mkdir()
                    ng, url = start_nginx([u for _, u in started], ng_dir)
                    procs.append(ng)
                token = api(url, "POST", "/auth/session",
                            body={"login": "admin", "password": PASSWORD})["access_token"]
                folder = api(url, "POST", "/folders", token,
                             {"name": f"bench-{name.replace(' ', '-').replace(',', '')}"})
                file = api(url, "POST", f"/folders/{folder['id']}/files", token,
                           raw=b"x" * 4096, query="?filename=meta.bin")
                target = f"{url}/api/v1/files/{file['id']}"
                wrk(target, token, 2)  # warm-up
                results[name] = [wrk(target, token, args.secs) for _ in range(args.runs)]
                for p, _ in started:
                    p.terminate()
                    p.wait()
                if nodes > 1:
                    ng.terminate()
                    ng.wait()

            configuration("1 node, no token cache", 0, 1)
            configuration("1 node, token cache", 60, 1)
            configuration("3 nodes + nginx, token cache", 60, 3)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        psql(args.database_url, f"DROP SCHEMA {schema} CASCADE")

    base = statistics.median(r["req/s"] for r in results["1 node, no token cache"])
    lines = [f"# bench/cluster.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{os.cpu_count()} cores, PostgreSQL, wrk -t2 -c64 -d{args.secs}s, "
             f"median of {args.runs}", "",
             "| Configuration | req/s | p50 ms | p99 ms | vs no cache |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, runs in results.items():
        rps = statistics.median(r["req/s"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        lines.append(f"| {name} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {rps / base:.2f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
