#!/usr/bin/env bash
# Installs the real SMTP server the mail tests (crates/ferry-server/tests/api/mail.rs) send to:
# aiosmtpd (PyPI) in a venv under ${SMTP_SINK_DIR:-<repo>/target/smtp-sink}/venv.
# Idempotent: installs only what is missing, so a second run takes well under a second.
# Needs python3 with venv; reaches PyPI on a fresh machine.
# Usage: bash crates/ferry-server/tests/smtp-sink/setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
sink_dir="${SMTP_SINK_DIR:-$repo/target/smtp-sink}"
venv="$sink_dir/venv"
aiosmtpd_version="1.4.6"

mkdir -p "$sink_dir"
# Several test processes may start at once: one installs, the others wait and then find it done.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$sink_dir/.setup.lock"
    flock 9
fi

if "$venv/bin/python" -c "
import importlib.metadata as m, sys
sys.exit(0 if m.version('aiosmtpd') == '$aiosmtpd_version' else 1)
" >/dev/null 2>&1; then
    echo "smtp sink: aiosmtpd $aiosmtpd_version already in $venv"
else
    echo "smtp sink: creating $venv with aiosmtpd==$aiosmtpd_version"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "aiosmtpd==$aiosmtpd_version"
    "$venv/bin/python" -c "import aiosmtpd.controller" # fails loudly if the install is broken
    echo "smtp sink: aiosmtpd $aiosmtpd_version installed"
fi
