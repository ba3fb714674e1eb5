package graph

import (
	"context"

	"users/db"
	"users/graph/model"
)

// page reads up to limit users after afterID, one row more to learn whether
// another page follows.
func (r *Resolver) page(ctx context.Context, afterID int32, limit int) (*model.UserConnection, error) {
	rows, err := r.Queries.ListUsers(ctx, db.ListUsersParams{AfterID: afterID, MaxRows: int32(limit) + 1})
	if err != nil {
		return nil, dbError(err, "list users")
	}
	conn := &model.UserConnection{
		Edges:    make([]*model.UserEdge, 0, min(len(rows), limit)),
		Nodes:    make([]*model.User, 0, min(len(rows), limit)),
		PageInfo: &model.PageInfo{HasNextPage: len(rows) > limit},
	}
	for _, row := range rows[:min(len(rows), limit)] {
		u := toUser(row)
		cursor := Cursor(row.UserID)
		conn.Nodes = append(conn.Nodes, u)
		conn.Edges = append(conn.Edges, &model.UserEdge{Cursor: cursor, Node: u})
		conn.PageInfo.EndCursor = &cursor
	}
	return conn, nil
}

// upgradeHash replaces a hash made at a lower cost than configured, now that the
// password is known. A failure only means the upgrade waits for the next login.
func (r *Resolver) upgradeHash(ctx context.Context, u db.User, password string) {
	hash, err := r.Passwords.Hash(ctx, password)
	if err == nil {
		err = r.Queries.UpdatePasswordHash(ctx, db.UpdatePasswordHashParams{NewHash: hash, UserID: u.UserID, OldHash: u.PasswordHash})
	}
	if err != nil {
		r.Logger.WarnContext(ctx, "upgrade password hash", "user_id", u.UserID, "err", err)
	}
}
