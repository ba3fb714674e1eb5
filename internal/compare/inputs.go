package compare

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"users/internal/exchange"
)

// Input formats, as --format names them.
const (
	formatAuto   = "auto"
	formatGolden = "golden"
	formatHAR    = "har"
	formatLog    = "log"
)

// openInputs reads each path ("-" is standard input) in the given format, or
// in the one its content shows (auto): a directory or a file starting with
// "$ curl " holds recorded exchanges, a file ending in .har or starting with
// "{" is HAR, anything else an access log. The requests of all paths come
// one after the other. close releases the open files.
func openInputs(paths []string, format string, stdin io.Reader) (exchange.Seq, func(), error) {
	var (
		seqs    []exchange.Seq
		closers []io.Closer
	)
	closeAll := func() {
		for _, c := range closers {
			c.Close()
		}
	}
	for _, p := range paths {
		s, c, err := openInput(p, format, stdin)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		if c != nil {
			closers = append(closers, c)
		}
		seqs = append(seqs, s)
	}
	return func(yield func(exchange.Exchange, error) bool) {
		for _, s := range seqs {
			for ex, err := range s {
				if !yield(ex, err) {
					return
				}
			}
		}
	}, closeAll, nil
}

func openInput(path, format string, stdin io.Reader) (exchange.Seq, io.Closer, error) {
	var (
		r      io.Reader = stdin
		closer io.Closer
	)
	if path != "-" {
		info, err := os.Stat(path)
		if err != nil {
			return nil, nil, err
		}
		if info.IsDir() {
			if format != formatAuto && format != formatGolden {
				return nil, nil, fmt.Errorf("%s is a directory: only recorded exchanges (--format golden) come in directories", path)
			}
			return readGolden(path)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		r, closer = f, f
	}
	br := bufio.NewReader(r)
	if format == formatAuto {
		format = sniff(path, br)
	}
	var (
		seq exchange.Seq
		err error
	)
	switch format {
	case formatGolden:
		var b []byte
		if b, err = io.ReadAll(br); err == nil {
			var ex exchange.Exchange
			if ex, err = exchange.ParseGolden(filepath.Base(path), b); err == nil {
				seq = exchange.Slice([]exchange.Exchange{ex})
			}
		}
	case formatHAR:
		var b []byte
		if b, err = io.ReadAll(br); err == nil {
			seq, err = exchange.ParseHAR(b)
		}
	case formatLog:
		seq = exchange.ReadAccessLog(br)
	default:
		err = fmt.Errorf("--format %q: want auto, golden, har or log", format)
	}
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return seq, closer, nil
}

func readGolden(dir string) (exchange.Seq, io.Closer, error) {
	exs, err := exchange.ReadGolden(dir)
	if err != nil {
		return nil, nil, err
	}
	return exchange.Slice(exs), nil, nil
}

// sniff guesses a file's format from its name and first bytes.
func sniff(path string, br *bufio.Reader) string {
	if strings.HasSuffix(strings.ToLower(path), ".har") {
		return formatHAR
	}
	head, _ := br.Peek(512)
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(head, []byte("$ curl ")):
		return formatGolden
	case bytes.HasPrefix(head, []byte("{")):
		return formatHAR
	}
	return formatLog
}
