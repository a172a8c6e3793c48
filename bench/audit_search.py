#!/usr/bin/env python3
"""Audit search latency over a large audit log (SQLite, release build).

Usage: bench/audit_search.py [--events 1000000] [--requests 200]

Starts Ferry once to create its database, stops it, bulk-inserts N synthetic events straight
into the SQLite file (1,000 actors, every action, 30 days of timestamps; the hash chain is not
computed for synthetic rows, so do not run /audit/verify on this database), restarts Ferry and
times GET /api/v1/audit/events with the filters users combine, printing p50/p99 per query.
Python standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sqlite3
import statistics
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ACTIONS = [
    "auth.login", "auth.login_failed", "auth.logout", "folder.created", "upload.created",
    "upload.completed", "upload.failed", "file.downloaded", "file.deleted", "file.held",
    "link.created", "link.downloaded", "link.revoked", "user.updated",
]


def start(data: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, FERRY_ADMIN__PASSWORD="bench-password", FERRY_STORAGE__GC_INTERVAL_SECS="3600")
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


def fill(db: Path, n: int) -> None:
    con = sqlite3.connect(db)
    now = int(time.time() * 1000)
    # The actors exist as users, so `actor=` filters resolve to them.
    con.executemany(
        "INSERT INTO users (id, login, name, role, password_hash, used_bytes, disabled, failed_logins, "
        "created_at, updated_at) VALUES (?, ?, ?, 'user', 'x', 0, 0, 0, ?, ?)",
        [(f"usr_{a:024x}", f"user{a}", f"user{a}", now, now) for a in range(1000)])
    rng = random.Random(7)
    rows = []
    t0 = time.time()
    for i in range(n):
        actor = rng.randrange(1000)
        rows.append((
            f"evt_bench{i:015x}", now - rng.randrange(30 * 86_400_000), f"usr_{actor:024x}",
            f"user{actor}", rng.choice(ACTIONS), "file", f"fil_bench{rng.randrange(100_000):015x}",
            None, f"10.0.{actor % 256}.{rng.randrange(256)}", "bench/1.0", "req_bench",
            "failure" if rng.random() < 0.05 else "success", "{}",
        ))
        if len(rows) == 50_000:
            con.executemany(
                "INSERT INTO audit_events (id, time, actor_id, actor_login, action, target_type, target_id, "
                "folder_id, ip, user_agent, request_id, outcome, details) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            rows.clear()
    if rows:
        con.executemany(
            "INSERT INTO audit_events (id, time, actor_id, actor_login, action, target_type, target_id, "
            "folder_id, ip, user_agent, request_id, outcome, details) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    print(f"inserted {n:,} events in {time.time() - t0:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    with tempfile.TemporaryDirectory(dir=REPO / "target") as tmp:
        data = Path(tmp) / "data"
        port = random.randrange(20000, 30000)
        proc = start(data, port)
        proc.terminate()
        proc.wait()
        fill(data / "ferry.db", args.events)
        proc = start(data, port)
        try:
            c = http.client.HTTPConnection("127.0.0.1", port)
            c.request("POST", "/api/v1/auth/session", json.dumps({"login": "admin", "password": "bench-password"}),
                      {"Content-Type": "application/json"})
            token = json.loads(c.getresponse().read())["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            rng = random.Random(1)
            queries = {
                "newest 100": lambda: {},
                "actor (id)": lambda: {"actor": f"usr_{rng.randrange(1000):024x}"},
                "actor (login)": lambda: {"actor": f"user{rng.randrange(1000)}"},
                "action list": lambda: {"action": "auth.login,auth.login_failed"},
                "actor + action + 7d": lambda: {"actor": f"usr_{rng.randrange(1000):024x}",
                                                "action": "file.downloaded", "range": "7d"},
                "target": lambda: {"target": f"fil_bench{rng.randrange(100_000):015x}"},
                "failures, 24h": lambda: {"outcome": "failure", "range": "24h"},
                "ip": lambda: {"ip": f"10.0.{rng.randrange(256)}.{rng.randrange(256)}"},
                "page 50 deep (cursor)": None,
            }
            print(f"{'query':28} {'p50 ms':>8} {'p99 ms':>8} {'rows':>6}")
            for name, make in queries.items():
                times, rows = [], 0
                for _ in range(args.requests if make else max(args.requests // 20, 5)):
                    if make is None:
                        cursor, t = None, 0.0
                        for _page in range(50):
                            q = {"limit": "100"} | ({"cursor": cursor} if cursor else {})
                            start_t = time.perf_counter()
                            c.request("GET", "/api/v1/audit/events?" + urllib.parse.urlencode(q), headers=auth)
                            body = json.loads(c.getresponse().read())
                            t = time.perf_counter() - start_t
                            cursor = body["next_cursor"]
                        times.append(t)
                        rows = len(body["events"])
                        continue
                    q = make() | {"limit": "100"}
                    start_t = time.perf_counter()
                    c.request("GET", "/api/v1/audit/events?" + urllib.parse.urlencode(q), headers=auth)
                    res = c.getresponse()
                    body = json.loads(res.read())
                    times.append(time.perf_counter() - start_t)
                    assert res.status == 200, body
                    rows = len(body["events"])
                times.sort()
                p50 = statistics.median(times) * 1000
                p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
                print(f"{name:28} {p50:8.1f} {p99:8.1f} {rows:6}")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
