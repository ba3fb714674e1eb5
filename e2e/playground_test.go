package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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
	headersTab     = `//div[contains(@class,"graphiql-editors")]//button[normalize-space()="Headers"]`
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

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
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

// writeOperation puts an operation named name in the query editor and waits
// until GraphiQL has taken it in (it names the tab after the operation, a
// moment after an edit; running before that would send the previous
// operationName).
func writeOperation(t *testing.T, ctx context.Context, name, text string) {
	t.Helper()
	fill(t, ctx, queryEditor, text)
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](
		`(name) => [...document.querySelectorAll('.graphiql-tab-button')].some(b => b.textContent.trim() === name)`,
		chromedp.WithPollingArgs(name),
		chromedp.WithPollingTimeout(10*time.Second),
	))
	if err != nil {
		t.Fatalf("GraphiQL never named the tab %s: %v", name, err)
	}
}

// execute presses the run button and waits for the result pane to change; it
// returns the pane's JSON, decoded, and the text the pane shows.
func execute(t *testing.T, ctx context.Context) (apptest.GraphQLResponse, string) {
	t.Helper()
	before := eval[string](t, ctx, `document.querySelector(`+strconv.Quote(responseEditor)+`).CodeMirror.getValue()`)
	do(t, ctx, "run", chromedp.Click(chromedp.CSS(executeButton)))
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

// TestPlaygroundInBrowser runs sign-up, login and a users query through the
// GraphiQL page in headless Chromium, as a person would on a closed network,
// and fails on any console error, CSP violation or request that leaves the
// server under test.
func TestPlaygroundInBrowser(t *testing.T) {
	ctx := browser(t)
	srv := apptest.Start(t, apptest.Config())
	w := watch(ctx)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	do(t, ctx, "open /playground",
		chromedp.Navigate(srv.URL+"/playground"),
		chromedp.WaitVisible(chromedp.CSS(queryEditor)),
		chromedp.WaitVisible(chromedp.CSS(executeButton)),
		chromedp.WaitReady(chromedp.CSS(responseEditor)),
	)
	if title := eval[string](t, ctx, `document.title`); title != "Users API" {
		t.Errorf("page title = %q, want %q", title, "Users API")
	}

	// The schema loaded: the documentation explorer lists the root types.
	do(t, ctx, "open the documentation explorer", chromedp.Click(chromedp.CSS(docsButton)))
	docs, err := chromedp.Run(ctx, chromedp.PollFunction[string](
		`(sel) => { const el = document.querySelector(sel); const s = el ? el.innerText : ''; return s.includes('Root Types') || s.includes('Error') ? s : null; }`,
		chromedp.WithPollingArgs(docExplorer),
		chromedp.WithPollingTimeout(15*time.Second),
	))
	if err != nil || !strings.Contains(docs, "Query") || !strings.Contains(docs, "Mutation") {
		t.Errorf("documentation explorer shows no schema (did introspection fail?): %v\n%s", err, docs)
	}
	do(t, ctx, "close the documentation explorer", chromedp.Click(chromedp.CSS(docsButton)))

	// 1. Sign up two users.
	writeOperation(t, ctx, "SignUp", `mutation SignUp {
  ada: createUser(input: {username: "ada_l", email: "ada@example.com", password: "analytical1"}) { id username }
  grace: createUser(input: {username: "grace_h", email: "grace@example.com", password: "cobol1959x", info: {team: "navy"}}) { id username }
}`)
	r, shown := execute(t, ctx)
	var created struct{ Username string }
	if err := json.Unmarshal(r.Field("ada"), &created); err != nil || created.Username != "ada_l" {
		t.Fatalf("createUser: data.ada = %s (%v)", r.Field("ada"), err)
	}
	if !strings.Contains(shown, "grace_h") {
		t.Errorf("result pane does not show the new user grace_h:\n%s", shown)
	}

	// 2. Log in and read the token off the page.
	writeOperation(t, ctx, "LogIn", `mutation LogIn {
  login(email: "ada@example.com", password: "analytical1") { token user { username } }
}`)
	r, _ = execute(t, ctx)
	var login struct {
		Token string
		User  struct{ Username string }
	}
	if err := json.Unmarshal(r.Field("login"), &login); err != nil || login.Token == "" || login.User.Username != "ada_l" {
		t.Fatalf("login: data.login = %s (%v)", r.Field("login"), err)
	}

	// 3. Put the token in the Headers tab and list users.
	do(t, ctx, "open the Headers tab", chromedp.Click(chromedp.Search(headersTab)))
	fill(t, ctx, headersEditor, `{"Authorization": "Bearer `+login.Token+`"}`)
	do(t, ctx, "scroll the header back", chromedp.KeyEvent(kb.Home)) // so the screenshot shows the header's name
	writeOperation(t, ctx, "ListUsers", `query ListUsers {
  users(first: 10) {
    totalCount
    nodes { id username email info }
  }
}`)
	r, shown = execute(t, ctx)
	var users struct {
		TotalCount int
		Nodes      []struct{ Username, Email string }
	}
	if err := json.Unmarshal(r.Field("users"), &users); err != nil {
		t.Fatalf("users: %s: %v", r.Field("users"), err)
	}
	var names []string
	for _, n := range users.Nodes {
		names = append(names, n.Username)
	}
	if users.TotalCount != 2 || !slices.Equal(names, []string{"ada_l", "grace_h"}) {
		t.Errorf("users: totalCount %d, usernames %v; want 2, [ada_l grace_h]", users.TotalCount, names)
	}
	for _, want := range []string{`"username": "ada_l"`, `"username": "grace_h"`, `"totalCount": 2`, `"team": "navy"`} {
		if !strings.Contains(shown, want) {
			t.Errorf("result pane does not show %s:\n%s", want, shown)
		}
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, screenshotPath)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", out)

	// Nothing went wrong on the page, and nothing left the server under test.
	if v := eval[[]string](t, ctx, `window.__cspViolations`); len(v) > 0 {
		t.Errorf("Content-Security-Policy violations: %q", v)
	}
	msgs, urls, failed := w.snapshot()
	for _, ev := range failed {
		body, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: ev.RequestID})
		t.Errorf("%s answered %d: %s %v", ev.Response.URL, ev.Response.Status, body.Body, err)
	}
	for _, m := range msgs {
		bad := m.Type == chromedp.ConsoleError || m.IsException() || m.Source == "security"
		if bad {
			t.Errorf("console %s (%s) at %s: %s", m.Type, m.Source, m.URL, m.Text)
		} else {
			t.Logf("console %s: %s", m.Type, m.Text)
		}
	}
	if len(urls) == 0 {
		t.Error("saw no requests")
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s, outside the server under test", u)
		}
	}
	t.Logf("%d requests, all to %s", len(urls), srv.URL)
}
