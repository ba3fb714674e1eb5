package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"users/internal/exchange"
)

// maxAnswer bounds one answer's body; the legacy user list has no paging, so
// it is generous.
const maxAnswer = 64 << 20

// side is one of the two services.
type side struct {
	name   string   // "legacy" or "new"
	base   *url.URL // the service's base URL; a path prefix is kept
	tokens map[string]string
}

// dropHeaders are recorded headers that describe the recorded connection,
// not the request: the client sets them for the service it talks to. Without
// Accept-Encoding both services answer uncompressed, so bodies compare as
// they are.
var dropHeaders = []string{
	"Host", "Content-Length", "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding",
	"Upgrade", "Te", "Trailer", "Accept-Encoding", "Expect",
}

func newSide(name, raw string) (*side, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--%s %q: want a base URL such as http://127.0.0.1:5000", name, raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return &side{name: name, base: u, tokens: map[string]string{}}, nil
}

// newClient sends requests as recorded: no redirects followed, no proxy from
// the environment, no compression.
func newClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DisableCompression:  true,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// send replays ex on s within timeout. Authorization carries, in place of a
// recorded token, the token this side handed out where the recording got
// that one (see learnTokens). A failure is the answer's err, never a panic.
func (s *side) send(ctx context.Context, c *http.Client, ex exchange.Exchange, extra http.Header, timeout time.Duration) answer {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if ex.Body != "" {
		body = strings.NewReader(ex.Body)
	}
	req, err := http.NewRequestWithContext(ctx, ex.Method, s.base.String()+ex.Target, body)
	if err != nil {
		return answer{err: err}
	}
	req.Header = ex.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	for _, h := range dropHeaders {
		req.Header.Del(h)
	}
	for k, vs := range extra {
		req.Header[k] = vs
	}
	if a := req.Header.Get("Authorization"); a != "" {
		req.Header.Set("Authorization", s.mapToken(a))
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: shortError(err, timeout)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return answer{err: fmt.Errorf("read answer: %w", shortError(err, timeout))}
	}
	if len(b) > maxAnswer {
		return answer{err: fmt.Errorf("answer over %d MiB", maxAnswer>>20)}
	}
	return newAnswer(resp.StatusCode, resp.Header, b)
}

// shortError drops the URL net/http puts in front (the report already names
// the request) and names a timeout as such.
func shortError(err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// mapToken replaces a recorded token (raw or after "Bearer ") with this
// side's.
func (s *side) mapToken(auth string) string {
	scheme, tok, hasScheme := strings.Cut(auth, " ")
	if hasScheme && strings.EqualFold(scheme, "Bearer") {
		if mine, ok := s.tokens[tok]; ok {
			return scheme + " " + mine
		}
		return auth
	}
	if mine, ok := s.tokens[auth]; ok {
		return mine
	}
	return auth
}

// learnTokens remembers, for every "token" the recorded answer holds, the
// token at the same place in this side's answer: later recorded requests
// that send the recorded token then send this side's instead. A recording's
// tokens were minted by another database (or key) and mean nothing here.
func (s *side) learnTokens(recorded any, got answer) {
	if got.err != nil || !got.isJSON {
		return
	}
	walkTokens(recorded, got.doc, s.tokens)
}

// walkTokens pairs tokens found under the same object keys. It does not
// descend into lists: legacy lists every user's token, in an order two
// databases need not share, and only a login's own token is the caller's.
func walkTokens(rec, got any, into map[string]string) {
	switch r := rec.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return
		}
		for k, rv := range r {
			rs, rok := rv.(string)
			gs, gok := g[k].(string)
			if k == "token" && rok && gok && rs != "" && gs != "" {
				into[rs] = gs
				continue
			}
			walkTokens(rv, g[k], into)
		}
	}
}
