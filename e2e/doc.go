// Package e2e holds end-to-end tests that drive the running service the way
// people and real clients do: playground_flow_test.go opens /playground in
// headless Chromium (Debian's chromium, through chromedp), follows the
// document it opens on (sign up, log in, me, two pages of users), runs a
// persisted query from the page and saves a screenshot to
// test-artifacts/playground.png; examples_test.go runs the TypeScript
// (Apollo Client) and Relay example clients of examples/ with node. The
// package has no code of its own.
//
// It is a module of its own (users/e2e, with replace users => ../), so that
// chromedp is not a dependency of the service: run it with
// go -C e2e test ./... (scripts/check.sh does, after building the examples).
package e2e
