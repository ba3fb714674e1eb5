#!/usr/bin/env bash
# Runs the tests against the real legacy service (internal/legacyapp): legacy
# users served here on the same database, coexistence (LEGACY_COEXISTENCE)
# in both directions, and `server compare` over the recorded exchanges and
# new requests. The legacy app runs under gunicorn with Debian's Python
# packages, on the test PostgreSQL.
#
#   scripts/legacy-app.sh                       # clone LEGACY_REPO into .tools/legacy-src, then test
#   LEGACY_SRC=/path/to/checkout scripts/legacy-app.sh
#   LEGACY_REPO=/path/to/falcon-rest-api/.git scripts/legacy-app.sh
#
# LEGACY_REPO is anything `git clone` takes (default: the public repository,
# ziwon/falcon-rest-api on GitHub). Nothing of the legacy app is committed:
# .tools/ is git-ignored, and the tests run it from a copy.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the legacy app imports (requirements/base.txt), as Debian packages.
# shortuuid and itsdangerous are imported by app/utils/auth.py.
pkgs=(gunicorn python3-falcon python3-sqlalchemy python3-psycopg2 python3-bcrypt
	python3-cryptography python3-cerberus python3-shortuuid python3-itsdangerous)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "missing Debian packages; as root: apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -z "${LEGACY_SRC:-}" ]; then
	LEGACY_SRC=$PWD/.tools/legacy-src
	if [ ! -f "$LEGACY_SRC/app/main.py" ]; then
		rm -rf "$LEGACY_SRC"
		git clone --quiet --depth 1 "${LEGACY_REPO:-https://github.com/ziwon/falcon-rest-api.git}" "$LEGACY_SRC"
	fi
fi
export LEGACY_SRC
echo "legacy service: $LEGACY_SRC ($(git -C "$LEGACY_SRC" rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout'))"

# -v: the comparison reports are the evidence; read them.
go test -count=1 -v ./internal/legacyapp/
