package exchange

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Departure is the answer this service gives on purpose where a recorded
// legacy exchange answered otherwise: the status and the whole meta object,
// with no data.
type Departure struct {
	Status int            `json:"status"`
	Meta   map[string]any `json:"meta"`
}

// ReadDepartures reads departures.json: an object from golden file name to
// Departure. Keys starting with "_" are comments.
func ReadDepartures(path string) (map[string]Departure, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseDepartures(b)
}

// ParseDepartures decodes the content of departures.json.
func ParseDepartures(b []byte) (map[string]Departure, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("departures: %w", err)
	}
	out := map[string]Departure{}
	for name, msg := range raw {
		if strings.HasPrefix(name, "_") {
			continue
		}
		var d Departure
		if err := json.Unmarshal(msg, &d); err != nil {
			return nil, fmt.Errorf("departures %s: %w", name, err)
		}
		if d.Status < 100 || d.Status > 999 || d.Meta == nil {
			return nil, fmt.Errorf("departures %s: want a status and a meta object", name)
		}
		out[name] = d
	}
	return out, nil
}
