// Package schema holds the database migrations (pressly/goose SQL files), embedded
// so the server binary migrates without any file beside it. sqlc reads the same
// files to learn the tables.
package schema

import "embed"

// FS holds every migration, in version order by file name.
//
//go:embed *.sql
var FS embed.FS
