package auth

import "fmt"

// Role is what a user may see beyond their own account. Only an operator
// changes it (server admin), never the API.
type Role string

const (
	// RoleUser is every user's role unless an operator made them an admin:
	// every legacy user, and every user who signs up.
	RoleUser Role = "user"
	// RoleAdmin sees every user's email and info under DirectoryPrivate.
	RoleAdmin Role = "admin"
)

// Directory is who sees whose email and info (USER_DIRECTORY). The rule
// itself is applied where a row becomes a user for an answer (graph).
type Directory uint8

const (
	// DirectoryLegacy, the zero value and the default: every authenticated
	// user sees every user's email and info, as the legacy API showed them.
	DirectoryLegacy Directory = iota
	// DirectoryPrivate: a user's email and info are shown to that user and
	// to admins only; to anyone else they are withheld.
	DirectoryPrivate
)

var directoryNames = [...]string{DirectoryLegacy: "legacy", DirectoryPrivate: "private"}

// ParseDirectory reads a directory setting: "legacy" or "private".
func ParseDirectory(s string) (Directory, error) {
	for d, name := range directoryNames {
		if s == name {
			return Directory(d), nil
		}
	}
	return 0, fmt.Errorf("%q is not legacy or private", s)
}

func (d Directory) String() string {
	if int(d) < len(directoryNames) {
		return directoryNames[d]
	}
	return fmt.Sprintf("Directory(%d)", uint8(d))
}
