package graph

import (
	"context"
	"fmt"

	"users/db"
	"users/graph/model"
	"users/internal/apperr"
	"users/internal/auth"
	"users/internal/validate"
)

// page reads up to limit users after afterID, one row more to learn whether
// another page follows. The users and edges of a page are allocated as one
// array each rather than one object per row (a page is built on every list
// request: fewer allocations, less GC). Within a GraphQL request the page
// reads info only up to the response budget, and charges it (chargeInfo).
func (r *Resolver) page(ctx context.Context, afterID int32, limit int) (*model.UserConnection, error) {
	rows, err := r.Queries.ListUserPage(ctx, db.ListUserPageParams{AfterID: afterID, MaxRows: int32(limit) + 1, MaxInfoBytes: infoReadLimit(ctx)})
	if err != nil {
		return nil, dbError(err, "list users")
	}
	n := min(len(rows), limit)
	for _, row := range rows[:n] {
		if err := chargeInfo(ctx, int(row.InfoSize)); err != nil {
			return nil, err
		}
	}
	users := make([]model.User, n)
	edges := make([]model.UserEdge, n)
	conn := &model.UserConnection{
		Edges:    make([]*model.UserEdge, n),
		Nodes:    make([]*model.User, n),
		PageInfo: &model.PageInfo{HasNextPage: len(rows) > limit},
	}
	for i, row := range rows[:n] {
		users[i] = publicUser(row)
		edges[i] = model.UserEdge{Cursor: Cursor(row.UserID), Node: &users[i]}
		conn.Nodes[i] = &users[i]
		conn.Edges[i] = &edges[i]
	}
	if n > 0 {
		conn.PageInfo.EndCursor = &edges[n-1].Cursor
	}
	return conn, nil
}

// MaxBatchSize caps UserRows.
const MaxBatchSize = 1000

// UserRow is a user as a list reads it: the public columns only (no hash,
// token or sid).
type UserRow = db.ListUsersRow

// UserRows is the users query for the REST list, which streams every user in
// keyset batches: the same token check, cursor and query as Users, in
// batches of up to MaxBatchSize rather than a GraphQL page's MaxPageSize (so
// the list costs fewer queries), returning the rows as read, which the REST
// layer writes straight out in its own format. next is the cursor after the
// last row when more rows follow, nil at the end. It is not part of the
// GraphQL schema.
func (r *queryResolver) UserRows(ctx context.Context, first int, after *string) (rows []UserRow, next *string, err error) {
	afterID, limit, err := pageArgs(ctx, &first, after, MaxBatchSize)
	if err != nil {
		return nil, nil, err
	}
	rows, err = r.Queries.ListUsers(ctx, db.ListUsersParams{AfterID: afterID, MaxRows: int32(limit) + 1})
	if err != nil {
		return nil, nil, dbError(err, "list users")
	}
	if len(rows) > limit {
		rows = rows[:limit]
		c := Cursor(rows[limit-1].UserID)
		next = &c
	}
	return rows, next, nil
}

// pageArgs checks the caller's token and the arguments of a page: first
// (default DefaultPageSize) from 0 to maxFirst, after a cursor of this API or empty.
func pageArgs(ctx context.Context, first *int, after *string, maxFirst int) (afterID int32, limit int, err error) {
	if _, err := auth.UserFrom(ctx); err != nil {
		return 0, 0, err
	}
	limit = DefaultPageSize
	if first != nil {
		limit = *first
	}
	problems := validate.Problems{}
	if limit < 0 || limit > maxFirst {
		problems.Add("first", fmt.Sprintf("must be from 0 to %d", maxFirst))
	}
	if after != nil && *after != "" {
		id, ok := parseCursor(*after)
		if !ok {
			problems.Add("after", "not a cursor from this API")
		}
		afterID = id
	}
	if len(problems) > 0 {
		return 0, 0, apperr.InvalidFields(problems)
	}
	return afterID, limit, nil
}

// checkInfo returns the JSON text info is stored as (nil for none), or the
// validation error for info over the bounds of validate.Info, which are
// checked on that text.
func (r *Resolver) checkInfo(info map[string]any) ([]byte, error) {
	if info == nil {
		return nil, nil
	}
	text, err := encodeInfo(info)
	if err != nil {
		return nil, apperr.Internalf(err, "encode info")
	}
	maxBytes := r.InfoMaxBytes
	if maxBytes <= 0 {
		maxBytes = validate.DefaultInfoMaxBytes
	}
	if msgs := validate.Info(text, maxBytes); len(msgs) > 0 {
		return nil, apperr.InvalidFields(validate.Problems{"info": msgs})
	}
	return text, nil
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
