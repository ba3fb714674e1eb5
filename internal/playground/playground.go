// Package playground serves a GraphiQL page that works on a closed network:
// GraphiQL, React and ReactDOM are embedded in the binary (see vendor.sh and
// assets/README.md for where they come from) instead of being loaded from a
// public CDN, and the page runs under a strict Content-Security-Policy with
// no inline script.
package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

// Pinned versions of the vendored npm packages. They name the folders under
// assets/, so every asset URL carries the release it belongs to and can be
// cached forever. Keep them in step with vendor.sh.
const (
	graphiqlVersion = "4.1.2"
	reactVersion    = "18.2.0"
	reactDOMVersion = "18.2.0"
)

// Asset paths relative to assets/.
const (
	graphiqlJS  = "graphiql-" + graphiqlVersion + "/graphiql.min.js"
	graphiqlCSS = "graphiql-" + graphiqlVersion + "/graphiql.min.css"
	reactJS     = "react-" + reactVersion + "/react.production.min.js"
	reactDOMJS  = "react-dom-" + reactDOMVersion + "/react-dom.production.min.js"
	initJS      = "init.js"
	pageCSS     = "playground.css"
)

//go:embed assets
var assetFS embed.FS

// cspBase is the policy sent with every response; connect-src is appended by
// cspFor. What GraphiQL 4.1.2 needs, checked against the bundle and in
// headless Chromium:
//   - script-src 'self': all scripts, including the bootstrap (init.js), are
//     files served here. The bundle has no eval/new Function, so no
//     'unsafe-eval'; its editor is CodeMirror 5, which starts no web workers,
//     so no worker-src (workers arrived with Monaco in GraphiQL 5).
//   - style-src 'unsafe-inline': GraphiQL and its Radix UI parts inject
//     <style> elements and style attributes at run time.
//   - img-src/font-src data:: graphiql.min.css inlines its fonts (woff2) and
//     a few icons (png) as data: URLs.
const cspBase = "default-src 'none'; " +
	"script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; " +
	"font-src 'self' data:; " +
	"base-uri 'none'; " +
	"form-action 'none'; " +
	"frame-ancestors 'none'; "

// cspFor returns the Content-Security-Policy for a page that talks to
// endpoint: connect-src is 'self', plus the endpoint's origin when it is an
// absolute http(s) URL on another host.
func cspFor(endpoint string) string {
	connect := "'self'"
	if u, err := url.Parse(endpoint); err == nil && (u.Scheme == "http" || u.Scheme == "https") && validHost(u.Host) {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return cspBase + "connect-src " + connect
}

// validHost reports whether h is safe to put in a CSP source expression.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{.GraphiQLCSS}}">
<link rel="stylesheet" href="{{.PageCSS}}">
</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}" data-query="{{.Query}}" data-variables="{{.Variables}}" data-headers="{{.Headers}}"><div class="playground-loading">Loading…</div></div>
<noscript>The GraphQL playground needs JavaScript.</noscript>
<script src="{{.ReactJS}}"></script>
<script src="{{.ReactDOMJS}}"></script>
<script src="{{.GraphiQLJS}}"></script>
<script src="{{.InitJS}}"></script>
</body>
</html>
`))

// asset is one embedded file, ready to serve.
type asset struct {
	body      []byte
	ctype     string
	etag      string // strong ETag: the body's sha256
	version   string // short sha256, the ?v= that pins an unversioned file
	versioned bool   // lives in a folder named after its pinned release

	gzOnce sync.Once
	gz     []byte // gzip of body; nil when not worth it
}

// gzipped returns the gzip-compressed body, computed on first use, or nil
// when the asset is not compressible text.
func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		if len(a.body) < 1024 || !strings.HasPrefix(a.ctype, "text/") {
			return
		}
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(a.body)
		zw.Close()
		if b.Len() < len(a.body) {
			a.gz = b.Bytes()
		}
	})
	return a.gz
}

// contentTypes lists what is served from assets/, by extension or by name;
// anything else there (README.md, SHA256SUMS) is not served.
var contentTypes = map[string]string{
	".js":     "text/javascript; charset=utf-8",
	".css":    "text/css; charset=utf-8",
	"LICENSE": "text/plain; charset=utf-8",
}

var loadAssets = sync.OnceValue(func() map[string]*asset {
	m := map[string]*asset{}
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct, ok = contentTypes[path.Base(p)]
		}
		if !ok {
			return nil
		}
		body, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, "assets/")
		m[name] = &asset{
			body:      body,
			ctype:     ct,
			etag:      `"` + hex.EncodeToString(sum[:]) + `"`,
			version:   hex.EncodeToString(sum[:6]),
			versioned: strings.Contains(name, "/"),
		}
		return nil
	})
	if err != nil {
		panic("playground: reading embedded assets: " + err.Error())
	}
	return m
})

// handler serves the page and the assets.
type handler struct {
	prefix   string
	csp      string
	page     []byte
	pageETag string
	assets   map[string]*asset
}

// Options configure the playground page.
type Options struct {
	Title    string // the page's title ("GraphiQL" when empty)
	Endpoint string // where queries go, usually a path on the same origin ("/graphql")
	Prefix   string // the path the handler is mounted at, such as "/playground" ("" for the root)
	// Query, Variables and Headers fill the editors on a first visit
	// (GraphiQL keeps a person's own tabs after that): a document to start
	// from, and JSON for the Variables and Headers tabs. Empty: GraphiQL's
	// own welcome text and empty tabs.
	Query, Variables, Headers string
}

// Handler returns an http.Handler for the GraphiQL playground, titled title,
// that sends its queries to endpoint (see Options and New).
func Handler(title, endpoint, prefix string) http.Handler {
	return New(Options{Title: title, Endpoint: endpoint, Prefix: prefix})
}

// New returns an http.Handler for the GraphiQL playground.
//
// The handler looks at the full r.URL.Path, so it works with chi's
// r.Mount(prefix, h) as well as with http.Handle(prefix+"/", h); a path
// already stripped of prefix (as http.StripPrefix leaves it) is also
// accepted. It serves the page at prefix and prefix+"/", and the embedded
// assets at prefix+"/assets/..."; anything else is 404, and methods other
// than GET and HEAD are 405.
//
// Every response carries a strict Content-Security-Policy,
// X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer. The
// page is sent with Cache-Control: no-cache; the assets, whose URLs carry
// their release or content hash, are cacheable for a year.
func New(o Options) http.Handler {
	prefix := strings.TrimRight(o.Prefix, "/")
	if prefix != "" && !strings.HasPrefix(prefix, "/") {
		prefix = "/" + prefix
	}
	title := o.Title
	if title == "" {
		title = "GraphiQL"
	}
	h := &handler{
		prefix: prefix,
		csp:    cspFor(o.Endpoint),
		assets: loadAssets(),
	}
	assetURL := func(name string) string {
		u := prefix + "/assets/" + name
		if a := h.assets[name]; a != nil && !a.versioned {
			u += "?v=" + a.version
		}
		return u
	}
	var b bytes.Buffer
	err := page.Execute(&b, map[string]string{
		"Title":       title,
		"Endpoint":    o.Endpoint,
		"Query":       o.Query,
		"Variables":   o.Variables,
		"Headers":     o.Headers,
		"GraphiQLCSS": assetURL(graphiqlCSS),
		"PageCSS":     assetURL(pageCSS),
		"ReactJS":     assetURL(reactJS),
		"ReactDOMJS":  assetURL(reactDOMJS),
		"GraphiQLJS":  assetURL(graphiqlJS),
		"InitJS":      assetURL(initJS),
	})
	if err != nil {
		panic("playground: rendering page: " + err.Error())
	}
	h.page = b.Bytes()
	sum := sha256.Sum256(h.page)
	h.pageETag = `"` + hex.EncodeToString(sum[:]) + `"`
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")

	rest, ok := strings.CutPrefix(r.URL.Path, h.prefix)
	if !ok {
		rest = r.URL.Path // already stripped of the prefix
	}
	switch {
	case rest == "" || rest == "/":
		if !allowed(w, r) {
			return
		}
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Cache-Control", "no-cache")
		hd.Set("ETag", h.pageETag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.page))
	case strings.HasPrefix(rest, "/assets/"):
		a := h.assets[strings.TrimPrefix(rest, "/assets/")]
		if a == nil {
			http.NotFound(w, r)
			return
		}
		if !allowed(w, r) {
			return
		}
		h.serveAsset(w, r, a)
	default:
		http.NotFound(w, r)
	}
}

// allowed answers 405 and reports false unless r is a GET or HEAD.
func allowed(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	return false
}

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	if a.versioned || r.URL.Query().Get("v") == a.version {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	body, etag := a.body, a.etag
	if gz := a.gzipped(); gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = gz, strings.TrimSuffix(a.etag, `"`)+`-gzip"`
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
