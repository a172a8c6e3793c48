#!/usr/bin/env bash
# Starts a real clamd (Debian: clamav-daemon, clamav) for the scanning tests, with a signature
# database this script writes itself (only the EICAR test file's MD5 signature: no signature
# download is possible or needed), listening on 127.0.0.1:<port>, in the foreground.
# The tests run it as a child and kill it when they are done.
# Usage: bash crates/ferry-server/tests/clamd/start.sh <dir> <port>
set -euo pipefail

dir="$1"
port="$2"
clamd_bin="$(command -v clamd || echo /usr/sbin/clamd)"
if [ ! -x "$clamd_bin" ] || ! command -v sigtool >/dev/null 2>&1; then
    echo "clamd or sigtool missing: apt-get install -y clamav-daemon clamav" >&2
    exit 127
fi

mkdir -p "$dir/db" "$dir/tmp"
# The EICAR anti-virus test file (68 bytes), split so that this script is not itself flagged.
printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD' '-ANTIVIRUS-TEST-FILE!$H+H*' >"$dir/eicar.com"
# One hash signature: "<md5>:<size>:eicar.com"; clamd reports it as eicar.com.UNOFFICIAL.
sigtool --md5 "$dir/eicar.com" >"$dir/db/test.hdb"
rm -f "$dir/eicar.com"

cat >"$dir/clamd.conf" <<CONF
DatabaseDirectory $dir/db
TemporaryDirectory $dir/tmp
TCPSocket $port
TCPAddr 127.0.0.1
Foreground yes
LogFile $dir/clamd.log
PidFile $dir/clamd.pid
StreamMaxLength 100M
MaxThreads 4
CONF

exec "$clamd_bin" -c "$dir/clamd.conf"
