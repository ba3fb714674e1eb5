package exchange

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// harLog is the part of a HAR 1.2 document that a replay needs.
type harLog struct {
	Log *struct {
		Entries []struct {
			Request struct {
				Method   string      `json:"method"`
				URL      string      `json:"url"`
				Headers  []harHeader `json:"headers"`
				PostData *struct {
					MimeType string      `json:"mimeType"`
					Text     string      `json:"text"`
					Params   []harHeader `json:"params"`
				} `json:"postData"`
			} `json:"request"`
			Response *struct {
				Status  int         `json:"status"`
				Headers []harHeader `json:"headers"`
				Content struct {
					Text     string `json:"text"`
					Encoding string `json:"encoding"`
				} `json:"content"`
			} `json:"response"`
		} `json:"entries"`
	} `json:"log"`
}

type harHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ParseHAR reads the requests of a HAR file (log.entries[].request, in file
// order), with the recorded answers (response.status, headers and
// content.text, base64 or not) where the entry has one. An entry that cannot
// be replayed (a data: URL, a bad method) is an *EntryError in the sequence;
// a document that is not HAR is an error. HTTP/2 pseudo-headers (":path")
// are dropped.
func ParseHAR(b []byte) (Seq, error) {
	var doc harLog
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("HAR: %w", err)
	}
	if doc.Log == nil {
		return nil, errors.New("HAR: no log object")
	}
	return func(yield func(Exchange, error) bool) {
		for i, e := range doc.Log.Entries {
			name := fmt.Sprintf("entry %d", i+1)
			ex, err := harRequest(name, e.Request.Method, e.Request.URL, e.Request.Headers)
			if err != nil {
				if !yield(Exchange{}, &EntryError{Name: name, Err: err}) {
					return
				}
				continue
			}
			if pd := e.Request.PostData; pd != nil {
				ex.Body = pd.Text
				if pd.Text == "" && len(pd.Params) > 0 {
					form := url.Values{}
					for _, p := range pd.Params {
						form.Add(p.Name, p.Value)
					}
					ex.Body = form.Encode()
				}
				if ex.Header.Get("Content-Type") == "" && pd.MimeType != "" {
					ex.Header.Set("Content-Type", pd.MimeType)
				}
			}
			if r := e.Response; r != nil && r.Status > 0 {
				ex.Recorded = &Response{Status: r.Status, Header: harHeaders(r.Headers), Body: []byte(r.Content.Text)}
				if r.Content.Encoding == "base64" {
					body, err := base64.StdEncoding.DecodeString(r.Content.Text)
					if err != nil {
						if !yield(Exchange{}, &EntryError{Name: name, Err: fmt.Errorf("response content: %w", err)}) {
							return
						}
						continue
					}
					ex.Recorded.Body = body
				}
			}
			if !yield(ex, nil) {
				return
			}
		}
	}, nil
}

func harRequest(name, method, rawURL string, headers []harHeader) (Exchange, error) {
	if !validMethod(method) {
		return Exchange{}, fmt.Errorf("method %q is not an HTTP method", clip(method))
	}
	t, err := target(rawURL)
	if err != nil {
		return Exchange{}, err
	}
	if _, err := url.ParseRequestURI(t); err != nil {
		return Exchange{}, fmt.Errorf("URL %q: %w", clip(rawURL), err)
	}
	h := http.Header{}
	for _, kv := range headers {
		if strings.HasPrefix(kv.Name, ":") {
			continue
		}
		if !validMethod(kv.Name) || !validHeaderValue(kv.Value) {
			return Exchange{}, fmt.Errorf("header %q is not a valid header", clip(kv.Name))
		}
		h.Add(kv.Name, kv.Value)
	}
	return Exchange{Name: name, Method: method, Target: t, Header: h}, nil
}

// harHeaders reads recorded response headers, keeping only well-formed ones:
// they are shown, never sent.
func harHeaders(hs []harHeader) http.Header {
	h := http.Header{}
	for _, kv := range hs {
		if validMethod(kv.Name) && validHeaderValue(kv.Value) {
			h.Add(kv.Name, kv.Value)
		}
	}
	return h
}
