package rest_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"users/internal/auth"
	"users/internal/config"
)

// state is how the server must be for a case.
type state struct {
	seed     bool                          // sign up the createUser examples "created" (user 1) and "createdWithInfo" (user 2)
	auth     string                        // "token": user 1's token; "garbage": a token that does not verify
	db       string                        // "gone": the pool is closed before the request; "unmigrated": a database without tables
	cfg      func(*config.Config)          // configuration changes
	req      string                        // the request examples to use; default: the response example's name
	before   int                           // send the same request this many times first
	tooLarge bool                          // replace the body with JSON over MaxBodyBytes
	check    func(*testing.T, http.Header) // extra checks on the response headers
}

func signupLimit(c *config.Config) { c.SignupLimit = config.Rate{Count: 1, Window: time.Hour} }

func loginLimit(c *config.Config) { c.LoginLimit = config.Rate{Count: 1, Window: time.Hour} }

func smallBody(c *config.Config) { c.MaxBodyBytes = 1 << 10 }

func privateDirectory(c *config.Config) { c.UserDirectory = auth.DirectoryPrivate }

func tokenLimit(c *config.Config) { c.TokenLimit = config.Rate{Count: 1, Window: time.Hour} }

func wantLink(link string) func(*testing.T, http.Header) {
	return func(t *testing.T, h http.Header) {
		t.Helper()
		if got := h.Get("Link"); got != link {
			t.Errorf("Link = %q, want %q", got, link)
		}
	}
}

// states holds every case, by operationId/status/example. A documented
// example without a state, or a state without an example, fails the test.
var states = map[string]state{
	"getRoot/200/banner": {},

	"createUser/200/created":         {},
	"createUser/200/createdWithInfo": {},
	"createUser/400/invalid":         {},
	"createUser/400/missingFields":   {},
	"createUser/400/unknownField":    {},
	"createUser/400/wrongTypes":      {},
	"createUser/400/notAnObject":     {},
	"createUser/413/tooLarge":        {cfg: smallBody, req: "created", tooLarge: true},
	"createUser/429/tooManyRequests": {cfg: signupLimit, req: "created", before: 1, check: wantRetryAfter},
	"createUser/500/duplicate":       {req: "created", before: 1},
	"createUser/500/unknownError":    {req: "created", db: "gone"},

	"listUsers/200/all":             {seed: true, auth: "token", check: wantLink("")},
	"listUsers/200/page":            {seed: true, auth: "token", check: wantLink(`</v1/users?limit=1&after=1>; rel="next"`)},
	"listUsers/200/nextPage":        {seed: true, auth: "token", check: wantLink("")},
	"listUsers/200/private":         {seed: true, auth: "token", cfg: privateDirectory, check: wantLink("")},
	"listUsers/400/badLimit":        {seed: true, auth: "token"},
	"listUsers/401/noToken":         {},
	"listUsers/401/badToken":        {auth: "garbage"},
	"listUsers/429/tooManyRequests": {auth: "garbage", cfg: tokenLimit, before: 1, check: wantRetryAfter},
	"listUsers/500/unknownError":    {seed: true, auth: "token", db: "gone"},

	"updateUsers/401/noToken":         {},
	"updateUsers/404/notSupported":    {seed: true, auth: "token"},
	"updateUsers/429/tooManyRequests": {auth: "garbage", cfg: tokenLimit, before: 1, check: wantRetryAfter},

	"getUser/200/user":            {seed: true, auth: "token"},
	"getUser/200/private":         {seed: true, auth: "token", cfg: privateDirectory},
	"getUser/401/noToken":         {req: "user"},
	"getUser/401/badToken":        {req: "user", auth: "garbage"},
	"getUser/404/notFound":        {seed: true, auth: "token"},
	"getUser/429/tooManyRequests": {req: "user", auth: "garbage", cfg: tokenLimit, before: 1, check: wantRetryAfter},
	"getUser/500/unknownError":    {req: "user", seed: true, auth: "token", db: "gone"},

	"optionsRoot/200":  {},
	"optionsUsers/200": {},
	"optionsUser/200":  {req: "user"},
	"optionsLogin/200": {},

	"healthz/200/ok":                 {},
	"readyz/200/ready":               {},
	"readyz/503/databaseUnreachable": {db: "gone"},
	"readyz/503/migrationsPending":   {db: "unmigrated"},
	"metrics/200/scrape":             {before: 1}, // the first scrape is counted by the second
	"openapi/200/document":           {},
}

func init() {
	for _, method := range []string{"Get", "Post"} {
		op := "login" + method
		states[op+"/200/json"] = state{seed: true}
		states[op+"/200/form"] = state{seed: true}
		states[op+"/200/query"] = state{seed: true}
		states[op+"/400/wrongPassword"] = state{seed: true}
		states[op+"/400/missingPassword"] = state{seed: true}
		states[op+"/404/unknownEmail"] = state{seed: true}
		states[op+"/413/tooLarge"] = state{cfg: smallBody, req: "json", tooLarge: true}
		states[op+"/429/tooManyRequests"] = state{seed: true, cfg: loginLimit, req: "json", before: 1, check: wantRetryAfter}
		states[op+"/500/unknownError"] = state{seed: true, req: "json", db: "gone"}
	}
}

func wantRetryAfter(t *testing.T, h http.Header) {
	t.Helper()
	if n, err := strconv.Atoi(h.Get("Retry-After")); err != nil || n < 3590 || n > 3600 {
		t.Errorf("Retry-After = %q, want about 3600", h.Get("Retry-After"))
	}
}

// volatile are the keys compared by type only: tokens, timestamps, and the
// banner's database host.
var volatile = map[string]bool{"token": true, "created": true, "modified": true, "database": true}

// undocumented are the routes the OpenAPI document leaves to others: GraphQL
// has its own schema, the playground is a page.
var undocumented = map[string]bool{"/graphql": true, "/playground": true, "/playground/*": true, "/favicon.ico": true}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
