package compare

import (
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
	if canonical(a["code"]) == "88" && SameFieldMessages(a["description"], b["description"]) {
		return len(a) == len(b)
	}
	return canonical(normalize(a)) == canonical(normalize(b))
}
