#!/usr/bin/env bash
# The external checker: validates the served OpenAPI document (openapi-spec-validator) and runs
# schemathesis against a live server, as an admin and as a plain user, with a fixed seed and a
# bounded number of examples. It fails on any server error (5xx) and on any response that does
# not match the document (status code, content type, headers, body schema).
# Usage: bash .ci/schemathesis.sh [path/to/ferry]   (default: target/debug/ferry)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FERRY=${1:-target/debug/ferry}
VERSION=4.32.5
VENV="${FERRY_CI_CACHE:-$HOME/.cache/ferry-ci}/schemathesis-$VERSION"
if [ ! -x "$VENV/bin/schemathesis" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$VERSION" "openapi-spec-validator==0.7.*"
fi

DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
ADMIN_PASSWORD=schemathesis-admin-password
# Basic auth checks the password on every request; the fuzzer's deliberately wrong
# credentials must not lock the accounts it tests with.
# Mail is configured (to a port nothing listens on: mails wait and are retried) so that the
# password reset and the mail notices run their real paths.
# The fuzzer sends thousands of requests a minute from loopback: rate limits are off for
# loopback here (429 is still documented on every operation).
# The change feed's stream (GET /changes/stream) would never end: it ends after a second here.
FERRY_RATE_LIMITS__EXEMPT_LOOPBACK=true \
FERRY_AUTH__MAX_FAILED_LOGINS=1000000 FERRY_ADMIN__PASSWORD=$ADMIN_PASSWORD \
    FERRY_CHANGES__STREAM_MAX_SECS=1 \
    FERRY_MAIL__SMTP_URL=smtp://127.0.0.1:9 \
    "$FERRY" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 50); do
    curl -fs "$BASE/healthz" >/dev/null && break
    sleep 0.2
done

# A plain user with a folder, so that some operations reach real data.
curl -fs -u "admin:$ADMIN_PASSWORD" -H 'content-type: application/json' \
    -d '{"login":"fuzz","password":"fuzz-user-password"}' "$BASE/api/v1/users" >/dev/null
for who in "admin:$ADMIN_PASSWORD" "fuzz:fuzz-user-password"; do
    curl -fs -u "$who" -H 'content-type: application/json' -d '{"name":"inbox"}' \
        "$BASE/api/v1/folders" >/dev/null
done

curl -fs "$BASE/api/v1/openapi.json" >"$DATA/openapi.json"
"$VENV/bin/openapi-spec-validator" "$DATA/openapi.json"

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
status=0
for who in "admin:$ADMIN_PASSWORD" "fuzz:fuzz-user-password"; do
    echo "schemathesis as ${who%%:*}"
    # CPython 3.11's ast module can raise "AST constructor recursion depth mismatch" when
    # hypothesis describes a strategy on two worker threads at once (python/cpython#106905):
    # a crash of the tool, not a finding. Only a run that ends in that alone is run again.
    for attempt in 1 2; do
        if "$VENV/bin/schemathesis" run "$BASE/api/v1/openapi.json" --auth "$who" \
            --checks "$CHECKS" --phases examples,coverage,fuzzing --max-examples 25 \
            --seed 20261201 --workers 2 --no-color 2>&1 | tee "$DATA/run.log"; then
            break
        fi
        if [ "$attempt" = 1 ] && grep -q "AST constructor recursion depth mismatch" "$DATA/run.log" \
            && ! grep -q "=== FAILURES ===" "$DATA/run.log"; then
            echo "schemathesis itself crashed (CPython ast bug); running this pass again"
            continue
        fi
        status=1
        break
    done
done
if grep -q "panicked" "$DATA/server.log"; then
    echo "the server panicked:" >&2
    grep -A5 "panicked" "$DATA/server.log" >&2
    status=1
fi
exit $status
