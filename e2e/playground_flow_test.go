package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"users/internal/apptest"
)

const variablesTab = `//div[contains(@class,"graphiql-editors")]//button[normalize-space()="Variables"]`

// runOperation puts the cursor in the operation named name, in the query
// editor, and runs it with Ctrl-Enter: GraphiQL runs the operation under
// the cursor (its run button would ask which one).
func runOperation(t *testing.T, ctx context.Context, name string) (apptest.GraphQLResponse, string) {
	t.Helper()
	line := eval[int](t, ctx, `(() => { const cm = document.querySelector(`+strconv.Quote(queryEditor)+`).CodeMirror;
		for (let i = 0; i < cm.lineCount(); i++) { if (/^(query|mutation) `+name+`\b/.test(cm.getLine(i))) { cm.focus(); cm.setCursor({line: i + 1, ch: 2}); return i; } }
		return -1; })()`)
	if line < 0 {
		t.Fatalf("the query editor has no operation %s", name)
	}
	return execute(t, ctx, chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
}

// TestPlaygroundInBrowser follows the playground's own document in headless
// Chromium, as a person who never read the README would on a closed
// network: sign up, log in, the token into the Headers template, me, a page
// of users and the next one through the Variables tab; then a persisted
// query (APQ) from the page. It fails on any console error, CSP violation,
// failed request or request that leaves the server under test.
func TestPlaygroundInBrowser(t *testing.T) {
	ctx := browser(t)
	srv := apptest.Start(t, apptest.Config())
	seed(t, srv, 6) // with ada_l, 7 users: two pages of 5
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

	// The page opens on the service's document and the headers template.
	doc := eval[string](t, ctx, `document.querySelector(`+strconv.Quote(queryEditor)+`).CodeMirror.getValue()`)
	for _, op := range []string{"mutation SignUp", "mutation LogIn", "query Me", "query Users"} {
		if !strings.Contains(doc, op) {
			t.Fatalf("the query editor does not open on %s:\n%s", op, doc)
		}
	}
	headers := eval[string](t, ctx, `document.querySelector(`+strconv.Quote(headersEditor)+`).CodeMirror.getValue()`)
	if !strings.Contains(headers, `"Authorization": ""`) {
		t.Errorf("the Headers tab opens on %q, want the Authorization template", headers)
	}

	// 1. SignUp, as written.
	r, shown := runOperation(t, ctx, "SignUp")
	var created struct{ Username string }
	if err := json.Unmarshal(r.Field("createUser"), &created); err != nil || created.Username != "ada_l" || !strings.Contains(shown, "ada_l") {
		t.Fatalf("SignUp: data.createUser = %s (%v)", r.Field("createUser"), err)
	}

	// 2. LogIn, and the token into the template, between the quotes.
	r, _ = runOperation(t, ctx, "LogIn")
	var login struct{ Token string }
	if err := json.Unmarshal(r.Field("login"), &login); err != nil || login.Token == "" {
		t.Fatalf("LogIn: data.login = %s (%v)", r.Field("login"), err)
	}
	fill(t, ctx, headersEditor, strings.Replace(headers, `""`, strconv.Quote(login.Token), 1))

	// 3. Me.
	r, _ = runOperation(t, ctx, "Me")
	var me struct{ Username string }
	if err := json.Unmarshal(r.Field("me"), &me); err != nil || me.Username != "ada_l" {
		t.Fatalf("Me: %s (%v)", r.Field("me"), err)
	}

	// 4. Users: the first page, then the next through the Variables tab.
	want := usernames(t, srv)
	type usersPage struct {
		TotalCount int
		Edges      []struct{ Node struct{ Username string } }
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
	}
	readPage := func(r apptest.GraphQLResponse) (p usersPage, names []string) {
		if err := json.Unmarshal(r.Field("users"), &p); err != nil {
			t.Fatalf("users: %s: %v", r.Field("users"), err)
		}
		for _, e := range p.Edges {
			names = append(names, e.Node.Username)
		}
		return p, names
	}
	r, _ = runOperation(t, ctx, "Users")
	first, got := readPage(r)
	if first.TotalCount != len(want) || len(got) != 5 || !first.PageInfo.HasNextPage {
		t.Fatalf("Users: totalCount %d, %v, hasNextPage %v; want %d, five users, true", first.TotalCount, got, first.PageInfo.HasNextPage, len(want))
	}
	do(t, ctx, "open the Variables tab", chromedp.Click(chromedp.Search(variablesTab)))
	fill(t, ctx, headersEditor, `{"first": 5, "after": "`+first.PageInfo.EndCursor+`"}`)
	r, shown = runOperation(t, ctx, "Users")
	next, more := readPage(r)
	if got = append(got, more...); !slices.Equal(got, want) || next.PageInfo.HasNextPage {
		t.Errorf("Users over two pages: %v, hasNextPage %v; want %v, false", got, next.PageInfo.HasNextPage, want)
	}
	if !strings.Contains(shown, `"hasNextPage": false`) {
		t.Errorf("result pane does not show the last page:\n%s", shown)
	}
	screenshot(t, ctx)

	// 5. A persisted query from the page: registered once (Apollo's
	// automatic persisted queries), then sent as its hash alone over GET.
	persisted := eval[string](t, ctx, `(async () => {
		const query = 'query MeAgain { me { username } }';
		const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(query));
		const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
		const ext = {persistedQuery: {version: 1, sha256Hash: hash}};
		const headers = {'Content-Type': 'application/json', Authorization: `+strconv.Quote("Bearer "+login.Token)+`};
		const reg = await fetch('/graphql', {method: 'POST', headers, body: JSON.stringify({query, extensions: ext})});
		if (!reg.ok) return 'registration: ' + reg.status + ' ' + await reg.text();
		const res = await fetch('/graphql?extensions=' + encodeURIComponent(JSON.stringify(ext)), {headers: {Authorization: headers.Authorization}});
		return res.status + ' ' + await res.text();
	})()`, chromedp.EvalAwaitPromise)
	if persisted != `200 {"data":{"me":{"username":"ada_l"}}}` {
		t.Errorf("persisted query by hash from the page: %s", persisted)
	}

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
		if m.Type == chromedp.ConsoleError || m.IsException() || m.Source == "security" {
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

// screenshot saves the page to screenshotPath, under the repository root.
func screenshot(t *testing.T, ctx context.Context) {
	t.Helper()
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
}
