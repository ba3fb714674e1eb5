package playground_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"users/internal/playground"
)

const wantCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; " +
	"frame-ancestors 'none'; connect-src 'self'"

func do(t *testing.T, h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func checkSecurityHeaders(t *testing.T, w *httptest.ResponseRecorder, target string) {
	t.Helper()
	if got := w.Header().Get("Content-Security-Policy"); got != wantCSP {
		t.Errorf("%s: CSP = %q, want %q", target, got, wantCSP)
	}
	if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options = %q", target, got)
	}
	if got := w.Header().Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("%s: Referrer-Policy = %q", target, got)
	}
}

var refRE = regexp.MustCompile(`(?:src|href)="([^"]*)"`)

// pageRefs returns the src and href URLs of the page.
func pageRefs(t *testing.T, page string) []string {
	t.Helper()
	var refs []string
	for _, m := range refRE.FindAllStringSubmatch(page, -1) {
		refs = append(refs, m[1])
	}
	if len(refs) == 0 {
		t.Fatal("page references nothing")
	}
	return refs
}

func TestPage(t *testing.T) {
	h := playground.Handler("Users API", "/graphql", "/playground")
	for _, target := range []string{"/playground", "/playground/"} {
		w := do(t, h, http.MethodGet, target)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", target, w.Code)
		}
		checkSecurityHeaders(t, w, target)
		if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type = %q", target, ct)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control = %q", target, cc)
		}
		body := w.Body.String()
		if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			t.Errorf("page refers to a remote URL:\n%s", body)
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, " style=") {
			t.Errorf("page has inline script or style:\n%s", body)
		}
		for _, want := range []string{"<title>Users API</title>", `data-endpoint="/graphql"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		for _, ref := range pageRefs(t, body) {
			if ref != "data:," && !strings.HasPrefix(ref, "/playground/assets/") {
				t.Errorf("page refers to %q, outside /playground/assets/", ref)
			}
		}
	}
}

func TestAssets(t *testing.T) {
	h := playground.Handler("Users API", "/graphql", "/playground")
	page := do(t, h, http.MethodGet, "/playground/").Body.String()
	n := 0
	for _, ref := range pageRefs(t, page) {
		if ref == "data:," {
			continue
		}
		n++
		w := do(t, h, http.MethodGet, ref)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s = %d", ref, w.Code)
			continue
		}
		checkSecurityHeaders(t, w, ref)
		u := strings.SplitN(ref, "?", 2)[0]
		want := map[string]string{
			".js":  "text/javascript; charset=utf-8",
			".css": "text/css; charset=utf-8",
		}[path.Ext(u)]
		if ct := w.Header().Get("Content-Type"); ct != want {
			t.Errorf("GET %s: Content-Type = %q, want %q", ref, ct, want)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control = %q", ref, cc)
		}
		if w.Header().Get("ETag") == "" {
			t.Errorf("GET %s: no ETag", ref)
		}
		disk, err := os.ReadFile(strings.Replace(u, "/playground/", "", 1))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w.Body.Bytes(), disk) {
			t.Errorf("GET %s: body differs from the file", ref)
		}
	}
	// react, react-dom, graphiql js+css, init.js, playground.css
	if n != 6 {
		t.Errorf("page references %d assets, want 6", n)
	}
}

func TestNotFound(t *testing.T) {
	h := playground.Handler("Users API", "/graphql", "/playground")
	for _, target := range []string{
		"/playground/assets/nope.js",
		"/playground/assets/graphiql-4.1.2/nope.js",
		"/playground/assets/README.md",
		"/playground/assets/SHA256SUMS",
		"/playground/assets/",
		"/playground/assets/../playground.go",
		"/playground/assets/graphiql-4.1.2/../init.js",
		"/playground/other",
		"/playgroundx",
	} {
		w := do(t, h, http.MethodGet, target)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", target, w.Code)
		}
		checkSecurityHeaders(t, w, target)
	}
}

func TestHead(t *testing.T) {
	h := playground.Handler("Users API", "/graphql", "/playground")
	for _, target := range []string{"/playground/", "/playground/assets/graphiql-4.1.2/graphiql.min.js"} {
		get := do(t, h, http.MethodGet, target)
		head := do(t, h, http.MethodHead, target)
		if head.Code != http.StatusOK {
			t.Errorf("HEAD %s = %d", target, head.Code)
		}
		if head.Body.Len() != 0 {
			t.Errorf("HEAD %s: body of %d bytes", target, head.Body.Len())
		}
		for _, k := range []string{"Content-Type", "Content-Length", "ETag", "Cache-Control", "Content-Security-Policy"} {
			if g, h := get.Header().Get(k), head.Header().Get(k); g != h || h == "" {
				t.Errorf("HEAD %s: %s = %q, GET has %q", target, k, h, g)
			}
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := playground.Handler("Users API", "/graphql", "/playground")
	for _, target := range []string{"/playground/", "/playground/assets/init.js"} {
		w := do(t, h, http.MethodPost, target)
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("POST %s = %d, Allow %q", target, w.Code, w.Header().Get("Allow"))
		}
	}
}

func TestEscaping(t *testing.T) {
	h := playground.Handler(`</title><script>alert(1)</script>`, `/graphql?a="><script>x</script>`, "/playground")
	body := do(t, h, http.MethodGet, "/playground/").Body.String()
	if strings.Contains(body, "<script>alert") || strings.Contains(body, `"><script>x`) {
		t.Errorf("title or endpoint not escaped:\n%s", body)
	}
	if !strings.Contains(body, "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("title not escaped as text:\n%s", body)
	}
}

func TestConditionalAndGzip(t *testing.T) {
	h := playground.Handler("Users API", "/graphql", "/playground")
	const target = "/playground/assets/graphiql-4.1.2/graphiql.min.js"
	plain := do(t, h, http.MethodGet, target)

	w := do(t, h, http.MethodGet, target, "If-None-Match", plain.Header().Get("ETag"))
	if w.Code != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", w.Code)
	}

	w = do(t, h, http.MethodGet, target, "Accept-Encoding", "br, gzip;q=0.8")
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("gzip: Content-Encoding %q, Vary %q", w.Header().Get("Content-Encoding"), w.Header().Get("Vary"))
	}
	if w.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Error("gzip and identity responses share an ETag")
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, plain.Body.Bytes()) {
		t.Errorf("gunzipped body differs (err %v)", err)
	}

	w = do(t, h, http.MethodGet, target, "Accept-Encoding", "gzip;q=0")
	if w.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent despite q=0")
	}
}

// The unversioned own files are immutable only under the hash the page uses.
func TestOwnAssetCaching(t *testing.T) {
	h := playground.Handler("Users API", "/graphql", "/playground")
	w := do(t, h, http.MethodGet, "/playground/assets/init.js")
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("init.js without ?v: %d, Cache-Control %q", w.Code, w.Header().Get("Cache-Control"))
	}
	w = do(t, h, http.MethodGet, "/playground/assets/init.js?v=stale")
	if w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("init.js?v=stale: Cache-Control %q", w.Header().Get("Cache-Control"))
	}
}

func TestMounting(t *testing.T) {
	// As net/http's ServeMux (like chi's Mount) passes the full path.
	mux := http.NewServeMux()
	mux.Handle("/playground/", playground.Handler("T", "/graphql", "/playground/"))
	mux.Handle("/playground", playground.Handler("T", "/graphql", "/playground/"))
	// Behind http.StripPrefix the handler sees the rest of the path.
	stripped := http.StripPrefix("/playground", playground.Handler("T", "/graphql", "/playground"))
	// At the root.
	root := playground.Handler("T", "/graphql", "")

	for name, c := range map[string]struct {
		h      http.Handler
		page   string
		prefix string
	}{
		"mux":      {mux, "/playground", "/playground"},
		"stripped": {stripped, "/playground/", "/playground"},
		"root":     {root, "/", ""},
	} {
		w := do(t, c.h, http.MethodGet, c.page)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: GET %s = %d", name, c.page, w.Code)
		}
		for _, ref := range pageRefs(t, w.Body.String()) {
			if ref == "data:," {
				continue
			}
			if !strings.HasPrefix(ref, c.prefix+"/assets/") {
				t.Errorf("%s: ref %q lacks prefix %q", name, ref, c.prefix)
			}
			if w := do(t, c.h, http.MethodGet, ref); w.Code != http.StatusOK {
				t.Errorf("%s: GET %s = %d", name, ref, w.Code)
			}
		}
	}
}

func TestAbsoluteEndpointCSP(t *testing.T) {
	h := playground.Handler("T", "https://api.example.test:8443/graphql", "/playground")
	csp := do(t, h, http.MethodGet, "/playground/").Header().Get("Content-Security-Policy")
	if !strings.HasSuffix(csp, "connect-src 'self' https://api.example.test:8443") {
		t.Errorf("CSP = %q", csp)
	}
	h = playground.Handler("T", "https://evil;script-src */graphql", "/playground")
	csp = do(t, h, http.MethodGet, "/playground/").Header().Get("Content-Security-Policy")
	if csp != wantCSP {
		t.Errorf("CSP with a bad host = %q", csp)
	}
}

// The vendored files are the ones recorded in SHA256SUMS and assets/README.md.
func TestVendoredSums(t *testing.T) {
	h := playground.Handler("T", "/graphql", "/playground")
	sums, err := os.ReadFile("assets/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("assets/README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("bad SHA256SUMS line %q", sc.Text())
		}
		n++
		w := do(t, h, http.MethodGet, "/playground/assets/"+name)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s = %d", name, w.Code)
			continue
		}
		got := sha256.Sum256(w.Body.Bytes())
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: sha256 %x, SHA256SUMS says %s", name, got, sum)
		}
		if !bytes.Contains(readme, []byte(sc.Text())) {
			t.Errorf("assets/README.md lacks %q", sc.Text())
		}
		if path.Base(name) == "LICENSE" && w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", name, w.Header().Get("Content-Type"))
		}
	}
	if n != 7 {
		t.Errorf("SHA256SUMS lists %d files, want 7", n)
	}
}
