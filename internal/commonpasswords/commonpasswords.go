// Package commonpasswords tells whether a password is one that breaches show
// people choose often, from a list bundled with the binary (README.md names
// its source, version and licence, and how to regenerate it).
//
// The list holds only entries of 12 to 128 code points, the only lengths the
// modern password policy lets through, lower-cased, so a password is looked up
// case-folded: "Password1234" is as common as "password1234".
package commonpasswords

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

//go:embed common-passwords.txt.gz
var compressed []byte

// list is the decompressed list, sorted bytewise: read on first use, so a
// service on the legacy policy never spends the memory (about 1.3 MB).
var list = sync.OnceValue(func() []string {
	entries, err := decode(compressed)
	if err != nil {
		// The file is part of the build and checked by the package's tests:
		// failing here means a corrupt build, not bad input.
		panic(fmt.Sprintf("commonpasswords: embedded list: %v", err))
	}
	return entries
})

// Contains reports whether password, lower-cased, is on the list.
func Contains(password string) bool {
	_, found := slices.BinarySearch(list(), strings.ToLower(password))
	return found
}

// Len is the number of passwords on the list.
func Len() int { return len(list()) }

// decode reads a gzipped list: one entry a line, each line ending in "\n".
func decode(gz []byte) ([]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	s, ok := strings.CutSuffix(string(text), "\n")
	if !ok {
		return nil, fmt.Errorf("the last line has no newline")
	}
	return strings.Split(s, "\n"), nil
}
