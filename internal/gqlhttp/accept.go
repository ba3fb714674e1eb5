package gqlhttp

import (
	"math"
	"mime"
	"strconv"
	"strings"
)

// responseMedia is the negotiated response media type.
type responseMedia int

const (
	// mediaGraphQLResponse is application/graphql-response+json.
	mediaGraphQLResponse responseMedia = iota
	// mediaLegacyJSON is application/json, served to legacy clients.
	mediaLegacyJSON
)

// mediaRange is one parsed element of an Accept header.
type mediaRange struct {
	typ, subtype string
	q            float64
	hasParams    bool // parameters other than q (and a utf-8 charset)
	badCharset   bool // a charset other than utf-8
}

// match is how a media range applies to one of the response media types.
type match struct {
	found       bool
	q           float64
	specificity int // 3: type/subtype;params, 2: type/subtype, 1: type/*, 0: */*
	index       int // position of the range in the Accept header
}

// negotiate picks the response media type from the Accept header values
// (rules in the documentation of Transport.Do). ok is false when the header
// allows neither media type.
func negotiate(accept []string) (media responseMedia, ok bool) {
	var ranges []mediaRange
	present := false
	for _, line := range accept {
		for _, part := range splitList(line) {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			present = true
			if mr, valid := parseMediaRange(part); valid {
				ranges = append(ranges, mr)
			}
		}
	}
	if !present {
		return mediaGraphQLResponse, true
	}

	gql := bestMatch(ranges, "graphql-response+json")
	js := bestMatch(ranges, "json")
	gqlOK := gql.found && gql.q > 0
	jsOK := js.found && js.q > 0
	switch {
	case !gqlOK && !jsOK:
		return mediaGraphQLResponse, false
	case !jsOK:
		return mediaGraphQLResponse, true
	case !gqlOK:
		return mediaLegacyJSON, true
	case js.q > gql.q:
		return mediaLegacyJSON, true
	case js.q < gql.q:
		return mediaGraphQLResponse, true
	case js.specificity > gql.specificity:
		return mediaLegacyJSON, true
	case js.specificity == gql.specificity && js.index < gql.index:
		return mediaLegacyJSON, true
	default:
		return mediaGraphQLResponse, true
	}
}

// bestMatch finds the most specific range matching application/<subtype>;
// among equally specific ranges the first listed wins.
func bestMatch(ranges []mediaRange, subtype string) match {
	best := match{specificity: -1}
	for i, mr := range ranges {
		spec := -1
		switch {
		case mr.badCharset:
		case mr.typ == "*" && mr.subtype == "*":
			spec = 0
		case mr.typ == "application" && mr.subtype == "*":
			spec = 1
		case mr.typ == "application" && mr.subtype == subtype:
			spec = 2
			if mr.hasParams {
				spec = 3
			}
		}
		if spec > best.specificity {
			best = match{found: true, q: mr.q, specificity: spec, index: i}
		}
	}
	return best
}

// parseMediaRange parses one Accept element such as
// "application/json;q=0.9". Elements that are not valid media ranges or have
// an invalid q are ignored (ok false).
func parseMediaRange(s string) (mr mediaRange, ok bool) {
	mt, params, err := mime.ParseMediaType(s)
	if err != nil {
		return mediaRange{}, false
	}
	typ, subtype, found := strings.Cut(mt, "/")
	if !found || typ == "" || subtype == "" || (typ == "*" && subtype != "*") {
		return mediaRange{}, false
	}
	mr = mediaRange{typ: typ, subtype: subtype, q: 1}
	for name, value := range params {
		switch name {
		case "q":
			q, err := strconv.ParseFloat(value, 64)
			if err != nil || math.IsNaN(q) || q < 0 || q > 1 {
				return mediaRange{}, false
			}
			mr.q = q
		case "charset":
			if !strings.EqualFold(value, "utf-8") {
				mr.badCharset = true
			}
			mr.hasParams = true
		default:
			mr.hasParams = true
		}
	}
	return mr, true
}

// splitList splits a comma-separated header value, keeping commas inside
// quoted strings.
func splitList(s string) []string {
	var (
		parts   []string
		start   int
		quoted  bool
		escaped bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}
