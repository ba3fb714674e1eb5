package compare

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"users/internal/exchange"
)

// rule is a deliberate departure that holds for a kind of request rather
// than for one recording; the README's "Deliberate differences" lists them.
type rule struct {
	name  string
	match func(ex exchange.Exchange, legacy, neu answer) bool
}

// rules are tried in order once the answers differ and no departures.json
// entry explains it.
var rules = []rule{
	{"validation-shape", validationShape},
	{"token-withheld", tokenWithheld},
	{"secrets-withheld", secretsWithheld},
	{"legacy-crash", legacyCrash},
	{"legacy-empty-200", legacyEmpty200},
	{"options-no-content-type", optionsNoContentType},
	{"addition", addition},
}

// validationShape: both answered 400/88 with the same messages per field,
// where one side gives a single message as a string or orders a field's
// messages otherwise. cerberus 1.3 gives lists sorted by rule name; this
// service follows the legacy README (a string for one message, the regex
// message first).
func validationShape(_ exchange.Exchange, legacy, neu answer) bool {
	l, lok := legacy.doc.(map[string]any)
	n, nok := neu.doc.(map[string]any)
	if !lok || !nok || legacy.status != neu.status || legacy.contentType != neu.contentType {
		return false
	}
	lm, lok := l["meta"].(map[string]any)
	nm, nok := n["meta"].(map[string]any)
	if !lok || !nok || canonical(lm["code"]) != "88" || !sameMeta(lm, nm) {
		return false
	}
	return canonical(normalize(without(l, "meta"))) == canonical(normalize(without(n, "meta")))
}

// SameFieldMessages reports whether two validation descriptions (meta.description
// of a code 88: field -> message or list of messages) hold the same messages
// per field, whatever their order and whether one message is a string or a
// one-item list: cerberus 1.3 sorts a field's messages by rule name, while the
// documented legacy API (the seed README) puts the regex message first.
func SameFieldMessages(a, b any) bool {
	af, aok := a.(map[string]any)
	bf, bok := b.(map[string]any)
	if !aok || !bok || len(af) != len(bf) {
		return false
	}
	for field, am := range af {
		x, y := messages(am), messages(bf[field])
		slices.Sort(x)
		slices.Sort(y)
		if len(x) == 0 || !slices.Equal(x, y) {
			return false
		}
	}
	return true
}

// messages reads a field's messages: a string or a list of strings.
func messages(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, m := range v {
			s, ok := m.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	return nil
}

// tokenWithheld: legacy put every user's token in the list and in a lookup;
// this service never sends a token outside the caller's own login. Apart
// from those tokens, the answers are the same.
func tokenWithheld(ex exchange.Exchange, legacy, neu answer) bool {
	if strings.HasPrefix(ex.Target, "/v1/users/self/login") || legacy.status != neu.status || legacy.contentType != neu.contentType {
		return false
	}
	l, ok := legacy.doc.(map[string]any)
	if !ok || l["data"] == nil {
		return false
	}
	stripped := clone(l)
	switch data := l["data"].(type) {
	case map[string]any:
		stripped["data"] = without(data, "token")
	case []any:
		users := make([]any, len(data))
		for i, u := range data {
			m, ok := u.(map[string]any)
			if !ok {
				return false
			}
			users[i] = without(m, "token")
		}
		stripped["data"] = users
	default:
		return false
	}
	return canonical(normalize(stripped)) == canonical(normalize(neu.doc))
}

// legacySecret is one secret entry of the Python dict the legacy 77 answer
// prints in description.params: a hash, a token or a sid never holds a quote.
var legacySecret = regexp.MustCompile(`(, )?'(?:password|token|sid)': '[^']*'`)

// secretsWithheld: legacy's duplicate answer (500/77) printed the whole row
// it failed to insert in description.params, password hash, token and sid
// included; this service prints the same without those three.
func secretsWithheld(_ exchange.Exchange, legacy, neu answer) bool {
	l, lok := legacy.doc.(map[string]any)
	if !lok || legacy.status != neu.status || !isEnvelope(neu) {
		return false
	}
	meta, ok := l["meta"].(map[string]any)
	if !ok || canonical(meta["code"]) != "77" {
		return false
	}
	desc, ok := meta["description"].(map[string]any)
	if !ok {
		return false
	}
	params, ok := desc["params"].(string)
	if !ok {
		return false
	}
	params = strings.Replace(legacySecret.ReplaceAllString(params, ""), "{, ", "{", 1)
	stripped, desc := clone(l), clone(desc)
	desc["params"] = params
	meta = clone(meta)
	meta["description"] = desc
	stripped["meta"] = meta
	return canonical(normalize(stripped)) == canonical(normalize(neu.doc))
}

// legacyCrash: legacy answered with Falcon's own error page ({"title": ...},
// no envelope: a crash, an unknown path, a method it had no responder for),
// which no client can rely on; this service answers in the envelope, without
// a server error (a clear client error, or the answer legacy meant to give,
// such as a login with a form body).
func legacyCrash(_ exchange.Exchange, legacy, neu answer) bool {
	l, ok := legacy.doc.(map[string]any)
	if !ok || l["meta"] != nil {
		return false
	}
	if _, ok := l["title"].(string); !ok {
		return false
	}
	return isEnvelope(neu) && neu.status < 500
}

// legacyEmpty200: legacy answered 200 with an empty body (a responder that
// does nothing, such as PUT /v1/users with a token); this service answers
// 404/10 Not Supported.
func legacyEmpty200(_ exchange.Exchange, legacy, neu answer) bool {
	if legacy.status != 200 || len(strings.TrimSpace(string(legacy.body))) != 0 || neu.status != 404 || !isEnvelope(neu) {
		return false
	}
	meta := neu.doc.(map[string]any)["meta"].(map[string]any)
	return canonical(meta["code"]) == "10"
}

// optionsNoContentType: an OPTIONS answer with the same status and no body
// on both sides, where legacy (Falcon) labelled the empty body
// application/json and this service sends no Content-Type.
func optionsNoContentType(ex exchange.Exchange, legacy, neu answer) bool {
	return ex.Method == "OPTIONS" && legacy.status == neu.status && neu.contentType == "" &&
		len(bytes.TrimSpace(legacy.body)) == 0 && len(neu.body) == 0
}

// addition: legacy answered 404/10 Not Supported, and this service serves
// the request (POST /v1/users/self/login): an addition legacy clients never
// see unless they use it.
func addition(_ exchange.Exchange, legacy, neu answer) bool {
	if legacy.status != 404 || !isEnvelope(legacy) || !isEnvelope(neu) || neu.status >= 500 {
		return false
	}
	lcode := canonical(legacy.doc.(map[string]any)["meta"].(map[string]any)["code"])
	ncode := canonical(neu.doc.(map[string]any)["meta"].(map[string]any)["code"])
	return lcode == "10" && ncode != "10"
}

// isEnvelope reports whether a is the legacy envelope: a meta object with a
// numeric code.
func isEnvelope(a answer) bool {
	doc, ok := a.doc.(map[string]any)
	if !ok {
		return false
	}
	meta, ok := doc["meta"].(map[string]any)
	if !ok {
		return false
	}
	_, ok = meta["code"].(json.Number)
	return ok
}

func without(m map[string]any, key string) map[string]any {
	out := clone(m)
	delete(out, key)
	return out
}
