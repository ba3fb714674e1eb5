package validate

// The shape of the legacy JSON documents: what REST checks before it calls a
// resolver, as GraphQL's type system does for its own requests. These work on
// the values encoding/json produces when decoding into map[string]any
// (string, float64 or json.Number, bool, nil, map[string]any, []any). Only a
// Go string is a string (json.Number, which stands for a JSON number, is not)
// and only map[string]any is a dict.

// NewUserDocument checks the shape of a sign-up document as the legacy
// cerberus schema did: username, email and password are required strings,
// info is an optional dict, no field is null, and any other key is an unknown
// field. A null or wrongly typed value gets that one message. The values
// themselves are NewUser's to check. It returns nil if the shape is right; a
// nil doc is an empty one.
func NewUserDocument(doc map[string]any) Problems {
	p := Problems{}
	for field, v := range doc {
		switch field {
		case "username", "email", "password":
			if msg := stringType(v); msg != "" {
				p.Add(field, msg)
			}
		case "info":
			switch v.(type) {
			case nil:
				p.Add(field, MsgNull)
			case map[string]any:
			default:
				p.Add(field, MsgDict)
			}
		default:
			p.Add(field, MsgUnknown)
		}
	}
	for _, field := range [...]string{"username", "email", "password"} {
		if _, ok := doc[field]; !ok {
			p.Add(field, MsgRequired)
		}
	}
	return p.orNil()
}

// LoginDocument checks the shape of login credentials: email and password
// are each a required, non-null string. Unknown keys are ignored, as in the
// legacy service. It returns nil if the shape is right.
func LoginDocument(doc map[string]any) Problems {
	p := Problems{}
	for _, field := range [...]string{"email", "password"} {
		v, ok := doc[field]
		if !ok {
			p.Add(field, MsgRequired)
			continue
		}
		if msg := stringType(v); msg != "" {
			p.Add(field, msg)
		}
	}
	return p.orNil()
}

// stringType returns the message for a null or non-string v, "" for a string.
func stringType(v any) string {
	switch v.(type) {
	case nil:
		return MsgNull
	case string:
		return ""
	default:
		return MsgString
	}
}
