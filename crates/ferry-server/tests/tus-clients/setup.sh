#!/usr/bin/env bash
# Installs the real tus clients that the API tests (crates/ferry-server/tests/api/tus.rs) run
# against the server: tus-js-client (npm, pinned by package-lock.json, into node_modules here)
# and tuspy (PyPI, into a venv under ${TUS_CLIENTS_DIR:-<repo>/target/tus-clients}/venv).
# Idempotent: installs only what is missing, so a second run takes well under a second.
# Needs node/npm and python3 with venv; reaches the npm registry and PyPI on a fresh machine.
# Usage: bash crates/ferry-server/tests/tus-clients/setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
clients_dir="${TUS_CLIENTS_DIR:-$repo/target/tus-clients}"
venv="$clients_dir/venv"
tuspy_version="1.1.0"
tusjs_version="4.3.1"

mkdir -p "$clients_dir"
# Several test processes may start at once: one installs, the others wait and then find it done.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$clients_dir/.setup.lock"
    flock 9
fi

# Python: tuspy in its own venv.
if "$venv/bin/python" -c "
import importlib.metadata as m, sys
sys.exit(0 if m.version('tuspy') == '$tuspy_version' else 1)
" >/dev/null 2>&1; then
    echo "tus clients: tuspy $tuspy_version already in $venv"
else
    echo "tus clients: creating $venv with tuspy==$tuspy_version"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "tuspy==$tuspy_version"
    "$venv/bin/python" -c "from tusclient import client" # fails loudly if the install is broken
    echo "tus clients: tuspy $tuspy_version installed"
fi

# Node: tus-js-client exactly as package-lock.json pins it.
installed_js="$(node -p "require('$here/node_modules/tus-js-client/package.json').version" 2>/dev/null || true)"
if [ "$installed_js" = "$tusjs_version" ]; then
    echo "tus clients: tus-js-client $tusjs_version already in $here/node_modules"
else
    echo "tus clients: npm ci in $here"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
    echo "tus clients: tus-js-client $tusjs_version installed"
fi
