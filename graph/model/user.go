// Package model holds the GraphQL types. models_gen.go is generated from
// graph/*.graphqls; the types here are written by hand where a resolver needs
// more than the schema says.
package model

// UserConnection is one page of users. TotalCount has its own resolver, so the
// count query runs only when a client selects it.
type UserConnection struct {
	Edges    []*UserEdge `json:"edges"`
	Nodes    []*User     `json:"nodes"`
	PageInfo *PageInfo   `json:"pageInfo"`
}

// UserEdge is a user of a page. Its cursor is made only when a client
// selects it: the REST list never does.
type UserEdge struct {
	Node *User `json:"node"`
}

// Cursor is the opaque cursor that points just after the edge's user.
func (e *UserEdge) Cursor() string { return UserCursor(e.Node.ID) }
