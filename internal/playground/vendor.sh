#!/usr/bin/env bash
# vendor.sh re-fetches the browser bundles that package playground embeds,
# from the npm packages at pinned versions, with the ordinary npm client
# (so it honours the registry or mirror configured in ~/.npmrc).
#
#   ./vendor.sh           fetch, verify the tarballs' npm integrity, verify the
#                         extracted files against assets/SHA256SUMS, install
#                         them into assets/ (a no-op when nothing changed)
#   ./vendor.sh --update  same, but (re)write assets/SHA256SUMS instead of
#                         checking it: use this after bumping a version below
#                         (then also update the integrity value, the version
#                         constants in playground.go and assets/README.md)
#
# Needs: npm, node (for the integrity check), tar, sha256sum.
set -euo pipefail

cd "$(dirname "$0")"

update=false
case "${1:-}" in
  "") ;;
  --update) update=true ;;
  *) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

# name version npm-integrity (the "integrity" npm reports for the tarball)
packages=(
  "graphiql 4.1.2 sha512-rNlzQIAzm6i2KBXmVQWBgLvt0TloxFVB2d18bukvdsvjEuFDHsKx5IVOomL1W1o5WW+tE54+ioHb2AEKzO2cUg=="
  "react 18.2.0 sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ=="
  "react-dom 18.2.0 sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g=="
)

# package -> files taken from it (paths inside the tarball's package/ folder)
declare -A files=(
  [graphiql]="graphiql.min.js graphiql.min.css LICENSE"
  [react]="umd/react.production.min.js LICENSE"
  [react-dom]="umd/react-dom.production.min.js LICENSE"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/out"
mkdir -p "$out"

for p in "${packages[@]}"; do
  read -r name version integrity <<<"$p"
  echo "npm pack $name@$version" >&2
  (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null)
  tgz="$tmp/$name-$version.tgz"
  got=$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")
  if [[ "$got" != "$integrity" ]]; then
    echo "integrity mismatch for $name@$version: got $got, want $integrity" >&2
    exit 1
  fi
  mkdir -p "$tmp/x/$name"
  tar -xzf "$tgz" -C "$tmp/x/$name"
  mkdir -p "$out/$name-$version"
  for f in ${files[$name]}; do
    cp "$tmp/x/$name/package/$f" "$out/$name-$version/$(basename "$f")"
  done
done

if $update; then
  (cd "$out" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum) >"$tmp/SHA256SUMS"
  mv "$tmp/SHA256SUMS" "$out/SHA256SUMS"
else
  cp assets/SHA256SUMS "$out/SHA256SUMS"
  (cd "$out" && sha256sum --quiet -c SHA256SUMS)
fi

# Replace the vendored folders; init.js, playground.css and README.md are ours.
for p in "${packages[@]}"; do
  read -r name _ _ <<<"$p"
  rm -rf assets/"$name"-[0-9]*/
done
cp -R "$out"/. assets/
echo "vendored into $(pwd)/assets:" >&2
cat assets/SHA256SUMS >&2
