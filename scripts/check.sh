#!/usr/bin/env bash
# Runs every check and every test, as CI does: generated code in sync, gofmt,
# go vet, staticcheck, then the whole test suite with the race detector
# against a real PostgreSQL (found or started by the tests themselves).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "generated code is in sync (go generate ./...)"
go generate ./...
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

step "go vet"
go vet ./...

step "staticcheck"
go tool -modfile=tools/go.mod staticcheck ./...

step "tests (real PostgreSQL, race detector)"
go test -race -count=1 ./...
