// Command schemagen writes the service's GraphQL schema, from the
// graph/*.graphqls files gqlgen reads, as one SDL file in a normal form:
// graph/schema.graphql, the file client tools (graphql-codegen, genqlient,
// relay-compiler, the breaking-change check) read. go generate runs it.
//
//	go run ./internal/schemagen -out graph/schema.graphql graph/*.graphqls
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

const header = "# The GraphQL schema of the users service, written by go generate\n" +
	"# (internal/schemagen) from graph/*.graphqls: edit those, not this file.\n\n"

func main() {
	out := flag.String("out", "", "file to write")
	flag.Parse()
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

func run(out string, patterns []string) error {
	if out == "" || len(patterns) == 0 {
		return errors.New("usage: schemagen -out FILE SCHEMA_FILE_OR_GLOB")
	}
	var sources []*ast.Source
	for _, p := range patterns {
		files, err := filepath.Glob(p)
		if err != nil {
			return err
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			sources = append(sources, &ast.Source{Name: f, Input: string(b)})
		}
	}
	schema, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(schema)
	return os.WriteFile(out, spaced(b.Bytes()), 0o644)
}

// spaced puts the header first and a blank line after each definition (the
// formatter writes them back to back).
func spaced(sdl []byte) []byte {
	out := []byte(header)
	for line := range bytes.Lines(sdl) {
		out = append(out, line...)
		if t := bytes.TrimRight(line, "\n"); bytes.Equal(t, []byte("}")) || bytes.HasPrefix(t, []byte("scalar ")) {
			out = append(out, '\n')
		}
	}
	return append(bytes.TrimRight(out, "\n"), '\n')
}
