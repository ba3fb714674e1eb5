// Package model holds the GraphQL types. models_gen.go is generated from
// graph/*.graphqls; the types here are written by hand where a resolver needs
// more than the schema says, or where a field is best computed only when a
// client selects it (the REST list reads a thousand users a page and
// selects neither ids nor cursors).
package model

import "time"

// User is a user as one viewer sees it: never a hash, a sid or a token, and
// the email and info only when the viewer may see them (USER_DIRECTORY;
// graph/convert.go decides).
type User struct {
	UserID   int32 // the legacy numeric user_id
	Username string
	// Email is nil when it is withheld from the viewer, and then so is
	// Info. Every user has an email, so nil means nothing else.
	Email    *string
	Info     JSONObject // nil: none was given, or withheld
	Created  time.Time
	Modified time.Time
}

// Withheld reports whether the user's email and info are withheld from the
// viewer: REST then leaves both keys out.
func (u *User) Withheld() bool { return u.Email == nil }

// ID is the user's global ID (see UserGlobalID); REST never shows it.
func (u *User) ID() string { return UserGlobalID(u.UserID) }

// IsNode makes User a Node.
func (*User) IsNode() {}

// GetID is the Node interface's id.
func (u *User) GetID() string { return u.ID() }

// UserConnection is one page of users. TotalCount has its own resolver, so the
// count query runs only when a client selects it.
type UserConnection struct {
	Nodes    []*User
	PageInfo *PageInfo
}

// Edges are the page's users with their cursors.
func (c *UserConnection) Edges() []*UserEdge {
	edges := make([]UserEdge, len(c.Nodes))
	out := make([]*UserEdge, len(c.Nodes))
	for i, u := range c.Nodes {
		edges[i] = UserEdge{Node: u}
		out[i] = &edges[i]
	}
	return out
}

// UserEdge is a user of a page.
type UserEdge struct {
	Node *User
}

// Cursor is the opaque cursor that points just after the edge's user.
func (e *UserEdge) Cursor() string { return UserCursor(e.Node.UserID) }
