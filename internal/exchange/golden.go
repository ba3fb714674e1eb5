package exchange

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ParseGolden reads one recorded exchange in the format of
// rest/testdata/golden: the curl command after "$ " (a trailing backslash
// continues it on the next line), a blank line, then the answer as curl -i
// prints it (status line, headers, a blank line, the body). The answer may be
// missing: Recorded is then nil. name becomes the exchange's Name.
func ParseGolden(name string, data []byte) (Exchange, error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	if !strings.HasPrefix(text, "$ curl ") {
		return Exchange{}, fmt.Errorf("%s: does not start with \"$ curl \"", name)
	}
	var cmd strings.Builder
	rest := text[len("$ "):]
	for {
		line, after, more := strings.Cut(rest, "\n")
		rest = after
		if strings.HasSuffix(line, "\\") && more {
			cmd.WriteString(strings.TrimSuffix(line, "\\"))
			cmd.WriteByte(' ')
			continue
		}
		cmd.WriteString(line)
		if !more {
			rest = ""
		}
		break
	}
	ex, err := ParseCurl(cmd.String())
	if err != nil {
		return Exchange{}, fmt.Errorf("%s: %w", name, err)
	}
	ex.Name = name
	rest = strings.TrimLeft(rest, "\n")
	if rest == "" {
		return ex, nil
	}
	resp, err := parseResponse(rest)
	if err != nil {
		return Exchange{}, fmt.Errorf("%s: recorded answer: %w", name, err)
	}
	ex.Recorded = resp
	return ex, nil
}

// parseResponse reads "HTTP/1.1 200 OK", headers, a blank line and the body.
func parseResponse(s string) (*Response, error) {
	statusLine, rest, _ := strings.Cut(s, "\n")
	proto, code, _ := strings.Cut(statusLine, " ")
	if !strings.HasPrefix(proto, "HTTP/") {
		return nil, fmt.Errorf("status line %q does not start with HTTP/", clip(statusLine))
	}
	code, _, _ = strings.Cut(code, " ")
	status, err := strconv.Atoi(code)
	if err != nil || status < 100 || status > 999 {
		return nil, fmt.Errorf("status line %q has no status code", clip(statusLine))
	}
	resp := &Response{Status: status, Header: http.Header{}}
	for {
		var line string
		var more bool
		line, rest, more = strings.Cut(rest, "\n")
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || !validMethod(strings.TrimSpace(k)) {
			return nil, fmt.Errorf("header line %q", clip(line))
		}
		resp.Header.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)), strings.TrimSpace(v))
		if !more {
			rest = ""
			break
		}
	}
	resp.Body = []byte(strings.TrimSuffix(rest, "\n"))
	return resp, nil
}

// ReadGolden reads recorded exchanges from files and directories (every *.txt
// in a directory), in file-name order: the recordings were made in that order
// on one database. When two paths hold a file of the same name, the first one
// given wins, so a local copy can stand in front of shared originals.
func ReadGolden(paths ...string) ([]Exchange, error) {
	byName := map[string]string{}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		files := []string{p}
		if info.IsDir() {
			if files, err = filepath.Glob(filepath.Join(p, "*.txt")); err != nil {
				return nil, err
			}
		}
		for _, f := range files {
			if _, seen := byName[filepath.Base(f)]; !seen {
				byName[filepath.Base(f)] = f
			}
		}
	}
	if len(byName) == 0 {
		return nil, errors.New("no recorded exchanges (*.txt) in " + strings.Join(paths, ", "))
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]Exchange, 0, len(names))
	for _, n := range names {
		b, err := os.ReadFile(byName[n])
		if err != nil {
			return nil, err
		}
		ex, err := ParseGolden(n, b)
		if err != nil {
			return nil, err
		}
		out = append(out, ex)
	}
	return out, nil
}
