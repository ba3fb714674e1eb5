// Package e2e holds end-to-end tests that drive the running service the way a
// person does: playground_test.go opens /playground in headless Chromium
// (Debian's chromium, through chromedp), signs up, logs in and lists users
// through the GraphiQL page, and saves a screenshot to
// test-artifacts/playground.png. The package has no code of its own.
//
// It is a module of its own (users/e2e, with replace users => ../), so that
// chromedp is not a dependency of the service: run it with
// go -C e2e test ./... (scripts/check.sh does).
package e2e
