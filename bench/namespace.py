#!/usr/bin/env python3
"""The folder tree at scale (SQLite): Ferry against the same operations on a local directory.

Usage: bench/namespace.py [--files 100000] [--requests 200] [--binary PATH] [--search-only]

Starts Ferry once to create its database, stops it, bulk-inserts N files (rows, versions and
one shared blob, straight into the SQLite file: the bytes do not matter here) into one folder,
restarts Ferry and measures, side by side with a local directory holding N empty files on the
same filesystem (the physical reference):

  - listing the folder page by page (`limit=100`, by name): p50/p99 per page, against reading
    the directory (`os.scandir`, sorted) and taking 100 names;
  - renaming a file (`PATCH /files/{id}`) against `os.rename`;
  - moving a folder holding N files and one holding 10 files (`POST /folders/{id}/move`), to
    show the move is constant time whatever the folder holds, against `os.rename` of the
    directory;
  - search (`GET /search?q=`, first page of 100) over `--search-files` files (default
    1,000,000) named from a 100-word vocabulary: a rare text (one hit) and a common one (about
    2% of the files), against `find -iname '*text*'` over a local tree of the same names.

`--search-only` leaves the tree out (no listing, rename or moves) and measures only the search.

Prints a table with Ferry/local ratios. Python standard library only. `--binary` defaults to
target/release/ferry (built with `cargo build --release` if missing).
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
SHA = "ab" * 32


def start(binary: Path, data: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, FERRY_ADMIN__PASSWORD=PASSWORD, FERRY_STORAGE__GC_INTERVAL_SECS="3600",
               FERRY_LOG__ACCESS="false", FERRY_RATE_LIMITS__EXEMPT_LOOPBACK="true")
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
        self.c = http.client.HTTPConnection("127.0.0.1", port)
        body = self.call("POST", "/auth/session", {"login": "admin", "password": PASSWORD}, auth=False)
        self.auth = {"Authorization": f"Bearer {body['access_token']}"}

    def call(self, method: str, path: str, body=None, auth=True, expect=(200, 201)):
        headers = dict(self.auth) if auth else {}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        self.c.request(method, "/api/v1" + path, data, headers)
        res = self.c.getresponse()
        payload = res.read()
        if res.status not in expect:
            raise SystemExit(f"{method} {path}: {res.status} {payload[:300]!r}")
        return json.loads(payload) if payload else None

    def timed(self, method: str, path: str, body=None) -> tuple[float, dict]:
        t = time.perf_counter()
        out = self.call(method, path, body)
        return time.perf_counter() - t, out


# Ids are hex after their prefix (the server refuses others unseen): a hex tag per batch.
TAGS = {"big": "b16", "small": "50a", "srch": "5ea"}


def fill(db: Path, folder_id: str, owner_id: str, prefix: str, n: int) -> None:
    con = sqlite3.connect(db)
    now = int(time.time() * 1000)
    con.execute("INSERT OR IGNORE INTO blobs (sha256, size, refcount, created_at) VALUES (?, 0, 0, ?)",
                (SHA, now))
    files, versions = [], []
    for i in range(n):
        fid = f"fil_{TAGS[prefix]}{i:020x}"
        name = f"file {i:07d}.txt"
        files.append((fid, folder_id, owner_id, name, name.lower(), SHA, now + i))
        versions.append((fid, SHA, now))
    con.executemany(
        "INSERT INTO files (id, folder_id, owner_id, name, name_key, size, sha256, mime_type, version, state, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, 'text/plain', 1, 'active', ?, ?)",
        [(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[6]) for f in files])
    con.executemany(
        "INSERT INTO file_versions (file_id, version, size, sha256, created_at) VALUES (?, 1, 0, ?, ?)", versions)
    con.execute("UPDATE blobs SET refcount = refcount + ? WHERE sha256 = ?", (n, SHA))
    con.commit()
    con.execute("ANALYZE")
    con.close()


WORDS = [f"{a}{b}" for a in ("alpha", "bravo", "delta", "kilo", "lima", "oscar", "papa", "romeo",
                                "sierra", "tango") for b in ("red", "blue", "gray", "gold", "jade", "ruby",
                                                               "sand", "teal", "wine", "zinc")]


def search_name(i: int) -> str:
    return f"{WORDS[i % 100]} {WORDS[(i * 7 + 3) % 100]} {i:07d}.pdf"


def fill_search(db: Path, folder_id: str, owner_id: str, n: int) -> None:
    con = sqlite3.connect(db)
    now = int(time.time() * 1000)
    batch_files, batch_versions = [], []
    for i in range(n):
        fid = f"fil_{TAGS['srch']}{i:020x}"
        name = search_name(i)
        batch_files.append((fid, folder_id, owner_id, name, name.lower(), SHA, now, now))
        batch_versions.append((fid, SHA, now))
        if len(batch_files) == 50_000 or i == n - 1:
            con.executemany(
                "INSERT INTO files (id, folder_id, owner_id, name, name_key, size, sha256, mime_type, version, "
                "state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, 'application/pdf', 1, 'active', ?, ?)",
                batch_files)
            con.executemany(
                "INSERT INTO file_versions (file_id, version, size, sha256, created_at) VALUES (?, 1, 0, ?, ?)",
                batch_versions)
            batch_files.clear()
            batch_versions.clear()
    con.execute("UPDATE blobs SET refcount = refcount + ? WHERE sha256 = ?", (n, SHA))
    con.commit()
    con.execute("ANALYZE")
    con.close()


def pct(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times) * 1000, times[min(len(times) - 1, int(len(times) * 0.99))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--binary", type=Path, default=REPO / "target/release/ferry")
    ap.add_argument("--search-files", type=int, default=1_000_000)
    ap.add_argument("--search-only", action="store_true", help="measure only the search part")
    args = ap.parse_args()
    if args.search_only and not args.search_files:
        raise SystemExit("--search-only needs --search-files above 0")
    if not args.binary.exists():
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    n = 0 if args.search_only else args.files
    rows = []
    with tempfile.TemporaryDirectory(dir=REPO / "target") as tmp:
        data = Path(tmp) / "data"
        port = random.randrange(20000, 30000)
        proc = start(args.binary, data, port)
        api = Api(port)
        top = api.call("POST", "/folders", {"name": "bench"})
        big = api.call("POST", "/folders", {"name": "big", "parent_id": top["id"]})
        small = api.call("POST", "/folders", {"name": "small", "parent_id": top["id"]})
        a = api.call("POST", "/folders", {"name": "a", "parent_id": top["id"]})
        b = api.call("POST", "/folders", {"name": "b", "parent_id": top["id"]})
        haystack = api.call("POST", "/folders", {"name": "haystack"})
        owner = top["owner"]["id"]
        proc.terminate()
        proc.wait()
        t0 = time.time()
        if not args.search_only:
            fill(data / "ferry.db", big["id"], owner, "big", n)
            fill(data / "ferry.db", small["id"], owner, "small", 10)
            print(f"inserted {n:,} files in {time.time() - t0:.1f} s")
        t0 = time.time()
        if args.search_files:
            fill_search(data / "ferry.db", haystack["id"], owner, args.search_files)
            print(f"inserted {args.search_files:,} files to search (and indexed them) in {time.time() - t0:.1f} s")
        proc = start(args.binary, data, port)
        # The local reference: N empty files in one directory on the same filesystem.
        local = Path(tmp) / "local"
        (local / "big").mkdir(parents=True)
        (local / "small").mkdir()
        (local / "a").mkdir()
        (local / "b").mkdir()
        for i in range(n):
            (local / "big" / f"file {i:07d}.txt").touch()
        for i in range(10):
            (local / "small" / f"file {i:07d}.txt").touch()
        # The search reference: the same names in a local tree of 1,000 directories.
        hay = Path(tmp) / "haystack"
        for i in range(args.search_files):
            d = hay / f"d{i % 1000:03d}"
            if i < 1000:
                d.mkdir(parents=True)
            (d / search_name(i)).touch()
        try:
            api = Api(port)
            if not args.search_only:
                # 1. Listing page by page.
                pages, cursor, seen = [], None, 0
                while len(pages) < args.requests:
                    q = f"?limit=100" + (f"&cursor={cursor}" if cursor else "")
                    t, body = api.timed("GET", f"/folders/{big['id']}/files{q}")
                    pages.append(t)
                    seen += len(body["files"])
                    cursor = body["next_cursor"]
                    if cursor is None:
                        cursor = None
                local_pages = []
                for _ in range(max(args.requests // 10, 5)):
                    t = time.perf_counter()
                    names = sorted(e.name for e in os.scandir(local / "big"))
                    names[:100]
                    local_pages.append(time.perf_counter() - t)
                rows.append(("list a page of 100 (of %d)" % n, pct(pages), pct(local_pages)))
                # 2. Rename.
                ids = [f"fil_{TAGS['big']}{i:020x}" for i in random.Random(3).sample(range(n), args.requests)]
                renames = []
                for i, fid in enumerate(ids):
                    t, _ = api.timed("PATCH", f"/files/{fid}", {"name": f"renamed {i}.txt"})
                    renames.append(t)
                local_renames = []
                for i in range(args.requests):
                    src = local / "big" / f"file {i:07d}.txt"
                    t = time.perf_counter()
                    os.rename(src, local / "big" / f"renamed {i}.txt")
                    local_renames.append(time.perf_counter() - t)
                rows.append(("rename a file", pct(renames), pct(local_renames)))
                # 3. Moving folders back and forth between a and b.
                for label, folder, local_dir in (("move a folder of %d files" % n, big, "big"),
                                                 ("move a folder of 10 files", small, "small")):
                    moves, local_moves = [], []
                    where = None
                    for i in range(max(args.requests // 10, 10)):
                        dest = (a, b)[i % 2]
                        t, _ = api.timed("POST", f"/folders/{folder['id']}/move", {"parent_id": dest["id"]})
                        moves.append(t)
                        target = local / ("a", "b")[i % 2] / local_dir
                        src = where or local / local_dir
                        t = time.perf_counter()
                        os.rename(src, target)
                        local_moves.append(time.perf_counter() - t)
                        where = target
                    rows.append((label, pct(moves), pct(local_moves)))
            # 4. Search.
            if args.search_files:
                rare = f"{args.search_files // 2:07d}"
                common = WORDS[42]
                for label, text in (("search, 1 hit", rare), ("search, ~2% hit (first 100)", common)):
                    times = []
                    hits = 0
                    for _ in range(max(args.requests // 4, 20)):
                        t, body = api.timed("GET", f"/search?q={text}&limit=100")
                        times.append(t)
                        hits = len(body["items"])
                    local_times = []
                    for _ in range(3):
                        t = time.perf_counter()
                        subprocess.run(["find", str(hay), "-iname", f"*{text}*"], check=True,
                                       stdout=subprocess.DEVNULL)
                        local_times.append(time.perf_counter() - t)
                    rows.append((f"{label} of {args.search_files:,} ({hits} shown)", pct(times), pct(local_times)))
        finally:
            proc.terminate()
            proc.wait()
    print(f"\n{'operation':52} {'Ferry p50':>10} {'p99':>9} {'local p50':>11} {'p99':>11} {'ratio p50':>10}")
    for label, (fp50, fp99), (lp50, lp99) in rows:
        ratio = fp50 / lp50 if lp50 else float("inf")
        print(f"{label:52} {fp50:8.2f}ms {fp99:7.2f}ms {lp50:9.3f}ms {lp99:9.3f}ms {ratio:9.3g}x")
    print("\n(ratio = Ferry's time / the local directory's; the local numbers are syscalls without "
          "a network, authentication, durability or an audit record)")


if __name__ == "__main__":
    main()
