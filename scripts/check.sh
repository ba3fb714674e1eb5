#!/usr/bin/env bash
# Runs every check and every test, as CI does: generated code in sync, gofmt,
# tidy go.mod files, go vet, staticcheck, then every test with the race
# detector against a real PostgreSQL (found or started by the tests themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n==> %s\n' "$*"; }

# The service's module and the modules of the test-only packages and the Go
# example: deploy/ (Kubernetes API types), e2e/ (chromedp) and examples/go
# (genqlient) have their own go.mod, so their heavy dependencies stay out of
# the service's go.mod and out of every build, vet and test of the service. "./..." stops at a nested go.mod, so each module
# is checked from its own folder (go -C).
modules=(. deploy e2e examples/go)
each() {
	for m in "${modules[@]}"; do
		go -C "$m" "$@"
	done
}

step "generated code is in sync (go generate ./..., in . and examples/go)"
go generate ./...
go -C examples/go generate ./...
if [ -n "$(git status --porcelain)" ]; then
	git status --porcelain
	git --no-pager diff --stat
	echo "generated code is out of date: run 'go generate ./...' and commit the result" >&2
	exit 1
fi

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi

step "go.mod and go.sum are tidy (go mod tidy -diff, in ${modules[*]})"
for m in "${modules[@]}"; do
	if ! go -C "$m" mod tidy -diff; then
		echo "$m/go.mod is not tidy: run 'go mod tidy' in $m and commit the result" >&2
		exit 1
	fi
done

step "go vet (in ${modules[*]})"
each vet ./...

step "staticcheck (in ${modules[*]})"
each tool -modfile="$root/tools/go.mod" staticcheck ./...

step "OpenAPI lint (rest/openapi.json, Redocly CLI)"
# A pinned linter from npm, installed once into .tools/npm (git-ignored).
# recommended-strict makes every recommended rule an error. Skipped: the two
# example rules (the 400 examples are invalid requests on purpose; the Go
# test rest/openapi_test.go checks response examples against their schemas
# and valid requests against theirs), the 2xx/4xx-response rules (the
# probes, metrics and the banner have no 4xx; legacy PUT /v1/users never
# succeeds), and info-license (the project states no license, and the document should
# not invent one).
redocly_version=2.77.0
redocly=.tools/npm/node_modules/.bin/redocly
if ! grep -qs "\"version\": \"$redocly_version\"" .tools/npm/node_modules/@redocly/cli/package.json; then
	if ! command -v npm >/dev/null; then
		echo "npm is missing: install Node.js 20.19+ or 22.12+ with npm (apt-get install -y nodejs npm)" >&2
		exit 1
	fi
	npm install --no-save --no-audit --no-fund --loglevel=error --prefix .tools/npm "@redocly/cli@$redocly_version"
fi
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true "$redocly" lint \
	--extends=recommended-strict \
	--skip-rule=no-invalid-media-type-examples --skip-rule=no-invalid-parameter-examples \
	--skip-rule=operation-2xx-response --skip-rule=operation-4xx-response --skip-rule=info-license \
	rest/openapi.json

# npm packages pinned by a package-lock.json, installed into that folder's
# node_modules (git-ignored) with npm ci, again only when the lock changes.
npm_ci() {
	local dir=$1 stamp=$1/node_modules/.package-lock.sha256 sum
	sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
	if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
		if ! command -v npm >/dev/null; then
			echo "npm is missing: install Node.js 20.19+ or 22.12+ with npm (apt-get install -y nodejs npm)" >&2
			exit 1
		fi
		npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
		echo "$sum" >"$stamp"
	fi
}

step "GraphQL schema: no breaking change against graph/contract/released.graphql unless acknowledged"
# @graphql-inspector/core's diff, pinned, installed once into
# .tools/graphql-inspector (git-ignored); scripts/schema-check.cjs applies
# graph/contract/acknowledged.txt, and its self-test proves it fails on a
# removed field.
inspector_version=8.0.0
if ! grep -qs "\"version\": \"$inspector_version\"" .tools/graphql-inspector/node_modules/@graphql-inspector/core/package.json; then
	npm install --no-save --no-audit --no-fund --loglevel=error --prefix .tools/graphql-inspector \
		"@graphql-inspector/core@$inspector_version" graphql@16.15.0
fi
NODE_PATH=.tools/graphql-inspector/node_modules node scripts/schema-check.cjs --self-test graph/contract/released.graphql
NODE_PATH=.tools/graphql-inspector/node_modules node scripts/schema-check.cjs \
	graph/contract/released.graphql graph/schema.graphql graph/contract/acknowledged.txt

step "example clients: built from the schema, generated code in sync (examples/typescript, examples/relay)"
# graphql-codegen's client preset and tsc for the TypeScript client,
# relay-compiler for Relay (it must accept the @connection on users and the
# @refetchable fragment on User). e2e/ runs both against the server, and
# examples/go (genqlient) runs in its own module's tests.
npm_ci examples/typescript
npm_ci examples/relay
(cd examples/typescript && node_modules/.bin/graphql-codegen --config codegen.yml --silent && node_modules/.bin/tsc -p .)
(cd examples/relay && node_modules/.bin/relay-compiler >/dev/null)
if [ -n "$(git status --porcelain -- examples)" ]; then
	git status --porcelain -- examples
	echo "the example clients' generated code is out of date: run this step's commands and commit the result" >&2
	exit 1
fi

step "headless Chromium for the playground browser test (e2e/)"
# Debian's chromium, driven by chromedp. Without it the browser test fails
# when CI=true and skips elsewhere.
if command -v chromium >/dev/null; then
	chromium --version 2>/dev/null || true
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	chromium --version 2>/dev/null || true
else
	echo "chromium is missing: install it as root with 'apt-get install -y chromium' (the playground browser test needs it)" >&2
fi

step "PgBouncer and redis-server for the fault tests (internal/faults)"
# Debian's packages: a real pooler in transaction mode and a Redis the tests
# stop and start. Without them the fault tests fail when CI=true and skip
# elsewhere.
missing=()
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then
	echo "pgbouncer and redis-server present"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
	echo "${missing[*]} missing: install as root with 'apt-get install -y ${missing[*]}' (the fault tests need them)" >&2
fi

step "tests (real PostgreSQL, race detector, in ${modules[*]})"
each test -race -count=1 ./...
