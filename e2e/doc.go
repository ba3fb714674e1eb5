// Package e2e holds end-to-end tests that drive the running service the way a
// person does: playground_test.go opens /playground in headless Chromium
// (Debian's chromium, through chromedp), signs up, logs in and lists users
// through the GraphiQL page, and saves a screenshot to
// test-artifacts/playground.png. The package has no code of its own.
package e2e
