package exchange

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// maxLogLine bounds one access-log line; a longer one ends the read.
const maxLogLine = 1 << 20

// ReadAccessLog yields the requests of an access log, one a line, in order:
// method, path and query only (a log keeps no headers or bodies). It reads
// the common and combined log formats of Apache and nginx
//
//	127.0.0.1 - - [25/Nov/2026:18:58:22 +0000] "GET /v1/users/1?x=y HTTP/1.1" 200 273 "-" "curl/8.5.0"
//
// (with \" and \xHH escapes inside the request line) and Heroku's router
// lines (method=GET path="/v1/users" ...). Blank lines are skipped; a line in
// neither format is an *EntryError named "line N", and reading goes on.
func ReadAccessLog(r io.Reader) Seq {
	return func(yield func(Exchange, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), maxLogLine)
		n := 0
		for sc.Scan() {
			n++
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			name := "line " + strconv.Itoa(n)
			ex, err := ParseLogLine(line)
			if err != nil {
				if !yield(Exchange{}, &EntryError{Name: name, Err: err}) {
					return
				}
				continue
			}
			ex.Name = name
			if !yield(ex, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(Exchange{}, fmt.Errorf("access log after line %d: %w", n, err))
		}
	}
}

// ParseLogLine reads the request of one access-log line (see ReadAccessLog).
func ParseLogLine(line string) (Exchange, error) {
	_, afterDate, ok := strings.Cut(line, "] \"")
	if !ok {
		if strings.Contains(line, "method=") {
			return parseHerokuLine(line)
		}
		return Exchange{}, errors.New(`neither [date] "request line" nor method= path=`)
	}
	reqLine, err := unquoteLog(afterDate)
	if err != nil {
		return Exchange{}, err
	}
	fields := strings.Split(reqLine, " ")
	if len(fields) < 2 || len(fields) > 3 || (len(fields) == 3 && !strings.HasPrefix(fields[2], "HTTP/")) {
		return Exchange{}, fmt.Errorf("request line %q is not METHOD TARGET HTTP/x", clip(reqLine))
	}
	return logRequest(fields[0], fields[1])
}

// parseHerokuLine reads Heroku's router format: key=value pairs, values with
// spaces in double quotes.
func parseHerokuLine(line string) (Exchange, error) {
	var method, path string
	for rest := line; rest != ""; {
		var kv string
		rest = strings.TrimLeft(rest, " ")
		k, v, _ := strings.Cut(rest, "=")
		if strings.ContainsRune(k, ' ') { // a word without "=": skip it
			_, rest, _ = strings.Cut(rest, " ")
			continue
		}
		if strings.HasPrefix(v, "\"") {
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				return Exchange{}, fmt.Errorf("unterminated quote after %s=", clip(k))
			}
			kv, rest = v[1:1+end], v[2+end:]
		} else {
			kv, rest, _ = strings.Cut(v, " ")
		}
		switch k {
		case "method":
			method = kv
		case "path":
			path = kv
		}
	}
	if method == "" || path == "" {
		return Exchange{}, errors.New("router line without method= and path=")
	}
	return logRequest(method, path)
}

func logRequest(method, rawTarget string) (Exchange, error) {
	if !validMethod(method) {
		return Exchange{}, fmt.Errorf("method %q is not an HTTP method", clip(method))
	}
	t, err := target(rawTarget)
	if err != nil {
		return Exchange{}, err
	}
	if _, err := url.ParseRequestURI(t); err != nil {
		return Exchange{}, fmt.Errorf("target %q: %w", clip(rawTarget), err)
	}
	return Exchange{Method: method, Target: t, Header: map[string][]string{}}, nil
}

// unquoteLog reads a log field up to its closing double quote, undoing the
// escapes Apache (\" \\) and nginx (\xHH) write there.
func unquoteLog(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), nil
		case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case c == '\\' && i+3 < len(s) && s[i+1] == 'x':
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				return "", fmt.Errorf("bad escape %q", s[i:i+4])
			}
			b.WriteByte(byte(v))
			i += 3
		default:
			b.WriteByte(c)
		}
	}
	return "", errors.New("request line has no closing quote")
}
