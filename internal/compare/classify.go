package compare

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"users/internal/exchange"
)

// Outcome is how one request fared.
type Outcome string

// The outcomes of a request, from best to worst.
const (
	Same       Outcome = "same"       // both answered alike, after normalization
	Departure  Outcome = "departure"  // they differ where this service departs on purpose
	Difference Outcome = "difference" // a real difference
	Failed     Outcome = "error"      // a side gave no answer (refused, timed out)
	Skipped    Outcome = "skipped"    // not sent (a write without --allow-writes, or nothing recorded to compare with)
)

// Result is the comparison of one request.
type Result struct {
	Name      string  `json:"name"`
	Method    string  `json:"method"`
	Target    string  `json:"target"`
	Outcome   Outcome `json:"outcome"`
	Departure string  `json:"departure,omitempty"` // which deliberate departure explains the differences
	Diffs     []Diff  `json:"diffs,omitempty"`
	Error     string  `json:"error,omitempty"`
}

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
	{"addition", addition},
}

// classify compares the two answers to ex. departures are departures.json's
// entries, by golden file name.
func classify(ex exchange.Exchange, legacy, neu answer, departures map[string]exchange.Departure) Result {
	r := Result{Name: ex.Name, Method: ex.Method, Target: ex.Target}
	if legacy.err != nil || neu.err != nil {
		r.Outcome, r.Error = Failed, failure(legacy, neu)
		return r
	}
	r.Diffs = diffAnswers(legacy, neu)
	if len(r.Diffs) == 0 {
		r.Outcome = Same
		return r
	}
	if d, ok := departures[ex.Name]; ok && matchesDeparture(d, neu) {
		r.Outcome, r.Departure = Departure, "departures.json"
		return r
	}
	for _, rl := range rules {
		if rl.match(ex, legacy, neu) {
			r.Outcome, r.Departure = Departure, rl.name
			return r
		}
	}
	r.Outcome = Difference
	return r
}

func failure(legacy, neu answer) string {
	var parts []string
	if legacy.err != nil {
		parts = append(parts, "legacy: "+legacy.err.Error())
	}
	if neu.err != nil {
		parts = append(parts, "new: "+neu.err.Error())
	}
	return strings.Join(parts, "; ")
}

// matchesDeparture reports whether neu is exactly the departure's answer:
// its status and an envelope holding its meta and no data, as the REST
// contract test expects it.
func matchesDeparture(d exchange.Departure, neu answer) bool {
	doc, ok := neu.doc.(map[string]any)
	if neu.status != d.Status || !ok || len(doc) != 1 {
		return false
	}
	meta, ok := doc["meta"].(map[string]any)
	if !ok {
		return false
	}
	want, _ := decodeJSON([]byte(canonical(d.Meta))) // numbers as json.Number, as meta's
	return sameMeta(want.(map[string]any), meta)
}

// sameMeta compares two meta objects, with a validation description (code
// 88, per-field messages) compared as validationShape does.
func sameMeta(a, b map[string]any) bool {
	if canonical(a["code"]) != canonical(b["code"]) || canonical(a["message"]) != canonical(b["message"]) {
		return false
	}
	if canonical(a["code"]) == "88" && sameFieldMessages(a["description"], b["description"]) {
		return len(a) == len(b)
	}
	return canonical(normalize(a)) == canonical(normalize(b))
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

func sameFieldMessages(a, b any) bool {
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
