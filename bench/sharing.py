#!/usr/bin/env python3
"""What a shared role costs: metadata GET of a folder 20 levels deep that a user reaches
through one of 50 groups, against the same user's GET of a top-level folder of their own.

Usage: bench/sharing.py [--binary PATH] [--depth 20] [--groups 50] [--duration 10]
                        [--connections 16] [--threads 2]

Starts Ferry (SQLite, a fresh data dir), and as the admin: creates alice and bob, 50 groups
with bob in each, a chain of 20 nested folders of alice's, and shares the top of the chain with
the last group (so bob's role on the deepest folder comes through a group, 20 levels up, after
49 groups that hold nothing there); bob also gets a top-level folder of his own. Then wrk
(`--connections` connections, `--threads` threads, `--duration` seconds each, after a warm-up)
measures, as bob:

  - `GET /folders/{own top-level}`: an owner's check, no lookup;
  - `GET /folders/{deepest shared}`: the role resolved through the tree and the groups;
  - and, as alice, `GET /folders/{deepest shared}`: the owner's view of the same folder, to
    tell what the share costs from what the depth costs (the path is a walk up the tree).

Prints requests/s and latency percentiles of both and the ratio (goal: >= 0.9x). Needs wrk
(Debian's package). `--binary` defaults to target/release/ferry.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from namespace import PASSWORD, start  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


class Session:
    """One user's keep-alive connection to the API."""

    def __init__(self, port: int, login: str, password: str):
        self.c = http.client.HTTPConnection("127.0.0.1", port)
        body = self.call("POST", "/auth/session", {"login": login, "password": password}, auth=False)
        self.token = body["access_token"]

    def call(self, method: str, path: str, body=None, auth=True):
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        self.c.request(method, "/api/v1" + path, data, headers)
        res = self.c.getresponse()
        payload = res.read()
        if res.status >= 300:
            raise SystemExit(f"{method} {path}: {res.status} {payload[:300]!r}")
        return json.loads(payload) if payload else None


def wrk(url: str, token: str, args) -> dict:
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
           "--latency", "-H", f"Authorization: Bearer {token}", url]
    subprocess.run(cmd[:5] + ["-d", "2s"] + cmd[7:], check=True, capture_output=True)  # warm-up
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")

    def ms(label: str) -> float:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", type=Path, default=REPO / "target/release/ferry")
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--groups", type=int, default=50)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--port", type=int, default=18431)
    args = ap.parse_args()
    if not args.binary.exists():
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    with tempfile.TemporaryDirectory(prefix="ferry-bench-sharing-") as tmp:
        proc = start(args.binary, Path(tmp), args.port)
        try:
            admin = Session(args.port, "admin", PASSWORD)
            users = {}
            for login in ("alice", "bob"):
                users[login] = admin.call("POST", "/users", {"login": login, "password": PASSWORD})
            alice = Session(args.port, "alice", PASSWORD)
            bob = Session(args.port, "bob", PASSWORD)
            groups = []
            for i in range(args.groups):
                g = admin.call("POST", "/groups", {"name": f"group {i:02}"})
                admin.call("PUT", f"/groups/{g['id']}/members/{users['bob']['id']}")
                groups.append(g)
            top = alice.call("POST", "/folders", {"name": "chain"})
            folder = top
            for level in range(1, args.depth):
                folder = alice.call("POST", "/folders", {"name": f"level {level}", "parent_id": folder["id"]})
            deepest = folder
            # The other groups hold roles elsewhere; only the last one reaches the chain.
            for g in groups[:-1]:
                other = alice.call("POST", "/folders", {"name": f"for {g['name']}"})
                alice.call("POST", f"/folders/{other['id']}/collaborators", {"group": g["id"], "role": "viewer"})
            alice.call("POST", f"/folders/{top['id']}/collaborators", {"group": groups[-1]["id"], "role": "viewer"})
            seen = bob.call("GET", f"/folders/{deepest['id']}")
            assert seen["role"] == "viewer", seen
            own = bob.call("POST", "/folders", {"name": "mine"})
            base = f"http://127.0.0.1:{args.port}/api/v1/folders/"
            owner = wrk(base + own["id"], bob.token, args)
            shared = wrk(base + deepest["id"], bob.token, args)
            owner_deep = wrk(base + deepest["id"], alice.token, args)
        finally:
            proc.terminate()
            proc.wait()
    print(f"metadata GET as bob, wrk -t{args.threads} -c{args.connections} -d{args.duration}s (SQLite)")
    print(f"{'folder':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'own top-level folder (owner, no lookup)':44} {owner['rps']:9.0f} {owner['p50']:8.2f} {owner['p99']:8.2f}")
    label = f"shared, {args.depth} levels deep, via group {args.groups}"
    print(f"{label:44} {shared['rps']:9.0f} {shared['p50']:8.2f} {shared['p99']:8.2f}")
    label = "the same folder as its owner (alice)"
    print(f"{label:44} {owner_deep['rps']:9.0f} {owner_deep['p50']:8.2f} {owner_deep['p99']:8.2f}")
    print(f"ratio (shared / own top-level): {shared['rps'] / owner['rps']:.2f}x  (goal >= 0.9x)")
    print(f"ratio (shared / the owner's GET of the same folder): {shared['rps'] / owner_deep['rps']:.2f}x"
          "  (what the share itself costs, apart from the depth)")


if __name__ == "__main__":
    main()
