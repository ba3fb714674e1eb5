package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"users/internal/apptest"
)

// Selectors of GraphiQL 4.1.2's page (CodeMirror 5 editors).
const (
	queryEditor    = ".graphiql-query-editor .CodeMirror"
	headersEditor  = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
	responsePane   = ".graphiql-response"
	responseEditor = ".graphiql-response .CodeMirror"
	executeButton  = ".graphiql-execute-button"
	docsButton     = `.graphiql-sidebar button[aria-label="Show Documentation Explorer"], .graphiql-sidebar button[aria-label="Hide Documentation Explorer"]`
	docExplorer    = ".graphiql-doc-explorer"
)

// screenshotPath is where the screenshot goes, relative to the repository
// root (.gitignore has /test-artifacts/).
const screenshotPath = "test-artifacts/playground.png"

// chromiumPath finds Debian's chromium (or the one named by $CHROMIUM). Without
// one the test fails in CI (scripts/check.sh installs it) and skips elsewhere.
func chromiumPath(t *testing.T) string {
	t.Helper()
	name := "chromium"
	if p := os.Getenv("CHROMIUM"); p != "" {
		name = p
	}
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := "chromium is not installed: apt-get install -y chromium (scripts/check.sh does it when run as root)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browser starts headless Chromium on its own throwaway profile, kept on
// loopback: every host name but 127.0.0.1 fails to resolve, so the page can
// only work if everything it needs comes from the server under test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, no first run, background networking off, ...
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // starts the browser with the test's lifetime
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// pageWatch records what the page said in its console (including CSP
// violations, which Chromium reports there as errors) and every URL it
// requested.
type pageWatch struct {
	mu     sync.Mutex
	msgs   []chromedp.ConsoleMessage
	urls   []string
	failed []network.EventResponseReceived // answers with a 4xx or 5xx status
}

func watch(ctx context.Context) *pageWatch {
	w := &pageWatch{}
	console := chromedp.Console(ctx)
	requests := chromedp.Events(ctx, network.RequestWillBeSent)
	responses := chromedp.Events(ctx, network.ResponseReceived)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			w.mu.Lock()
			w.msgs = append(w.msgs, m)
			w.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range requests {
			if err != nil {
				return
			}
			w.mu.Lock()
			w.urls = append(w.urls, ev.Request.URL)
			w.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range responses {
			if err != nil {
				return
			}
			if ev.Response.Status >= 400 {
				w.mu.Lock()
				w.failed = append(w.failed, ev)
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *pageWatch) snapshot() ([]chromedp.ConsoleMessage, []string, []network.EventResponseReceived) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.msgs), slices.Clone(w.urls), slices.Clone(w.failed)
}

// cspProbe runs before any script of the page and records the page's
// Content-Security-Policy violations (CDP-injected scripts are not subject to
// the policy).
const cspProbe = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)'));
});`

func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// fill replaces the text of the CodeMirror editor sel the way a person pastes:
// click into it, Ctrl+A, then insert the text as one input (no key presses, so
// the editor's bracket auto-closing does not interfere).
func fill(t *testing.T, ctx context.Context, sel, text string) {
	t.Helper()
	do(t, ctx, "focus "+sel,
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Click(chromedp.CSS(sel)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
	)
	if _, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		t.Fatalf("type into %s: %v", sel, err)
	}
	if got := eval[string](t, ctx, `document.querySelector(`+strconv.Quote(sel)+`).CodeMirror.getValue()`); got != text {
		t.Fatalf("editor %s holds %q, want %q", sel, got, text)
	}
}

// execute presses the run button and waits for the result pane to change; it
// returns the pane's JSON, decoded, and the text the pane shows.
func execute(t *testing.T, ctx context.Context, run chromedp.Action[chromedp.Void]) (apptest.GraphQLResponse, string) {
	t.Helper()
	before := eval[string](t, ctx, `document.querySelector(`+strconv.Quote(responseEditor)+`).CodeMirror.getValue()`)
	do(t, ctx, "run", run)
	shown, err := chromedp.Run(ctx, chromedp.PollFunction[string](
		`(sel, before) => { const v = document.querySelector(sel).CodeMirror.getValue(); return v.trim() !== '' && v !== before ? v : null; }`,
		chromedp.WithPollingArgs(responseEditor, before),
		chromedp.WithPollingTimeout(30*time.Second),
	))
	if err != nil {
		t.Fatalf("no result in the result pane: %v", err)
	}
	var r apptest.GraphQLResponse
	if err := json.Unmarshal([]byte(shown), &r); err != nil {
		t.Fatalf("result pane is not JSON: %v\n%s", err, shown)
	}
	if len(r.Errors) > 0 {
		t.Fatalf("result pane shows errors:\n%s", shown)
	}
	visible := eval[string](t, ctx, `document.querySelector(`+strconv.Quote(responsePane)+`).innerText`)
	return r, visible
}
