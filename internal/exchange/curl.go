package exchange

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// curlFlags are the curl options without a value that a recording may carry;
// they do not change the request.
var curlFlags = map[string]bool{
	"-s": true, "--silent": true, "-S": true, "--show-error": true,
	"-i": true, "--include": true, "-v": true, "--verbose": true,
	"-k": true, "--insecure": true, "-L": true, "--location": true,
	"--compressed": true, "-f": true, "--fail": true, "-N": true, "--no-buffer": true,
}

// ParseCurl reads a curl command line ("curl -X POST http://h/v1/users -H
// 'Content-Type: application/json' -d '{...}'") into a request: its method,
// target (path and query of the URL), headers and body. It knows -X/--request,
// -H/--header, -d/--data/--data-raw/--data-binary/--data-ascii (several are
// joined with "&", as curl does; a body means POST unless -X says otherwise,
// and application/x-www-form-urlencoded unless a header says otherwise),
// -G/--get (the data goes to the query string), -A/--user-agent, and the
// flags that do not change the request (-s, -S, -i, -v, -k, -L, ...). Any
// other option is an error rather than a silently different request.
func ParseCurl(cmd string) (Exchange, error) {
	words, err := shellWords(cmd)
	if err != nil {
		return Exchange{}, err
	}
	if len(words) == 0 || words[0] != "curl" {
		return Exchange{}, errors.New("not a curl command")
	}
	ex := Exchange{Header: http.Header{}}
	var (
		data         []string
		hasData      bool
		get          bool
		rawURL       string
		explicitVerb bool
	)
	for i := 1; i < len(words); i++ {
		w := words[i]
		opt, val, attached := splitOption(w)
		needsValue := func() (string, error) {
			if attached {
				return val, nil
			}
			if i+1 >= len(words) {
				return "", fmt.Errorf("curl option %s needs a value", opt)
			}
			i++
			return words[i], nil
		}
		switch {
		case curlFlags[w] || shortFlags(w):
		case opt == "-X" || opt == "--request":
			v, err := needsValue()
			if err != nil {
				return Exchange{}, err
			}
			if !validMethod(v) {
				return Exchange{}, fmt.Errorf("curl -X %q is not an HTTP method", clip(v))
			}
			ex.Method, explicitVerb = v, true
		case opt == "-H" || opt == "--header":
			v, err := needsValue()
			if err != nil {
				return Exchange{}, err
			}
			k, hv, ok := strings.Cut(v, ":")
			k = strings.TrimSpace(k)
			if !ok || !validMethod(k) || !validHeaderValue(hv) { // a header name is a token too
				return Exchange{}, fmt.Errorf("curl -H %q is not a header", clip(v))
			}
			ex.Header.Add(k, strings.TrimSpace(hv))
		case opt == "-A" || opt == "--user-agent":
			v, err := needsValue()
			if err != nil {
				return Exchange{}, err
			}
			if !validHeaderValue(v) {
				return Exchange{}, fmt.Errorf("curl -A %q is not a header value", clip(v))
			}
			ex.Header.Set("User-Agent", v)
		case opt == "-d" || opt == "--data" || opt == "--data-raw" || opt == "--data-binary" || opt == "--data-ascii":
			v, err := needsValue()
			if err != nil {
				return Exchange{}, err
			}
			if strings.HasPrefix(v, "@") && opt != "--data-raw" {
				return Exchange{}, fmt.Errorf("curl %s @file: a recording must hold the body itself", opt)
			}
			data, hasData = append(data, v), true
		case w == "-G" || w == "--get":
			get = true
		case strings.HasPrefix(w, "-") && w != "-":
			return Exchange{}, fmt.Errorf("unsupported curl option %q", clip(w))
		default:
			if rawURL != "" {
				return Exchange{}, fmt.Errorf("two URLs: %q and %q", clip(rawURL), clip(w))
			}
			rawURL = w
		}
	}
	if rawURL == "" {
		return Exchange{}, errors.New("curl command has no URL")
	}
	if !strings.Contains(rawURL, "://") {
		rawURL = "http://" + rawURL // curl's own default scheme
	}
	t, err := target(rawURL)
	if err != nil {
		return Exchange{}, err
	}
	ex.Target = t
	body := strings.Join(data, "&")
	switch {
	case get && hasData:
		sep := "?"
		if strings.Contains(ex.Target, "?") {
			sep = "&"
		}
		ex.Target += sep + body
		if !explicitVerb {
			ex.Method = http.MethodGet
		}
	case hasData:
		ex.Body = body
		if !explicitVerb {
			ex.Method = http.MethodPost
		}
		if ex.Header.Get("Content-Type") == "" {
			ex.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if ex.Method == "" {
		ex.Method = http.MethodGet
	}
	if _, err := url.ParseRequestURI(ex.Target); err != nil {
		return Exchange{}, fmt.Errorf("URL %q: %w", clip(rawURL), err)
	}
	return ex, nil
}

// shortFlags reports whether w is a bundle of value-less short flags, such as
// "-sS" or "-si".
func shortFlags(w string) bool {
	if len(w) < 2 || w[0] != '-' || w[1] == '-' {
		return false
	}
	for _, c := range w[1:] {
		if !curlFlags["-"+string(c)] {
			return false
		}
	}
	return true
}

// splitOption splits "-XPOST" into ("-X", "POST", true) and
// "--request=POST" into ("--request", "POST", true); other words come back
// whole.
func splitOption(w string) (opt, val string, attached bool) {
	if strings.HasPrefix(w, "--") {
		if k, v, ok := strings.Cut(w, "="); ok {
			return k, v, true
		}
		return w, "", false
	}
	if len(w) > 2 && w[0] == '-' && strings.ContainsRune("XHdA", rune(w[1])) {
		return w[:2], w[2:], true
	}
	return w, "", false
}

// shellWords splits a command line as a POSIX shell does: white space
// separates words; single quotes keep everything; double quotes keep
// everything but a backslash before ", \, $ or `; a backslash outside quotes
// keeps the next character. It does not expand variables.
func shellWords(s string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			closed := false
			for i++; i < len(s); i++ {
				if s[i] == '"' {
					closed = true
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if !closed {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case c == '\\':
			if i+1 < len(s) {
				i++
				if s[i] != '\n' { // a backslash-newline continues the line
					cur.WriteByte(s[i])
					inWord = true
				}
			}
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
