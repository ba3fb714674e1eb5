package graph

import (
	"context"
	"errors"
	"fmt"

	pgx "github.com/jackc/pgx/v5"

	"users/db"
	"users/graph/model"
	"users/internal/apperr"
	"users/internal/auth"
	"users/internal/validate"
)

// page reads up to limit users after afterID, one row more to learn whether
// another page follows. The users of a page are allocated as one array
// rather than one object per row (a page is built on every list request:
// fewer allocations, less GC); edges, ids and cursors are made only when a
// client selects them.
func (r *Resolver) page(ctx context.Context, afterID int32, limit int) (*model.UserConnection, error) {
	users, err := r.readUsers(ctx, afterID, limit)
	if err != nil {
		return nil, err
	}
	n := min(len(users), limit)
	conn := &model.UserConnection{
		Nodes:    make([]*model.User, n),
		PageInfo: &model.PageInfo{HasNextPage: len(users) > limit},
	}
	for i := range users[:n] {
		conn.Nodes[i] = &users[i]
	}
	if n > 0 {
		end := model.UserCursor(users[n-1].UserID)
		conn.PageInfo.EndCursor = &end
	}
	return conn, nil
}

// readUsers reads up to limit+1 users after afterID. Within a GraphQL
// request it reads info only up to the response budget, and charges the
// first limit users to it (chargeInfo); outside one (REST) there is no
// budget, and the plain query spares PostgreSQL the sizes.
func (r *Resolver) readUsers(ctx context.Context, afterID int32, limit int) ([]model.User, error) {
	v, err := r.viewerFrom(ctx)
	if err != nil {
		return nil, err
	}
	maxInfo, budgeted := infoReadLimit(ctx)
	if !budgeted {
		rows, err := r.queries.ListUsers(ctx, db.ListUsersParams{AfterID: afterID, MaxRows: int32(limit) + 1})
		if err != nil {
			return nil, dbError(err, "list users")
		}
		users := make([]model.User, len(rows))
		for i := range rows {
			row := &rows[i]
			users[i] = publicUser(v, row.UserID, row.Username, &row.Email, row.Info, row.Created, row.Modified)
		}
		return users, nil
	}
	rows, err := r.queries.ListUserPage(ctx, db.ListUserPageParams{AfterID: afterID, MaxRows: int32(limit) + 1, MaxInfoBytes: maxInfo})
	if err != nil {
		return nil, dbError(err, "list users")
	}
	for _, row := range rows[:min(len(rows), limit)] {
		if err := chargeInfo(ctx, int(row.InfoSize)); err != nil {
			return nil, err
		}
	}
	users := make([]model.User, len(rows))
	for i := range rows {
		row := &rows[i]
		users[i] = publicUser(v, row.UserID, row.Username, &row.Email, row.Info, row.Created, row.Modified)
	}
	return users, nil
}

// userByID reads one user, nil when there is none, within the response
// budget (see readUsers).
func (r *Resolver) userByID(ctx context.Context, userID int32) (*model.User, error) {
	v, err := r.viewerFrom(ctx)
	if err != nil {
		return nil, err
	}
	maxInfo, _ := infoReadLimit(ctx)
	row, err := r.queries.GetUser(ctx, db.GetUserParams{UserID: userID, MaxInfoBytes: maxInfo})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, dbError(err, "get user")
	}
	if err := chargeInfo(ctx, int(row.InfoSize)); err != nil {
		return nil, err
	}
	u := publicUser(v, row.UserID, row.Username, &row.Email, row.Info, row.Created, row.Modified)
	return &u, nil
}

// errNoUser is me's answer when the token's user was deleted after its
// session was looked up: the token stands for nobody.
var errNoUser = apperr.New(apperr.Unauthenticated, "invalid or expired token")

// pageArgs checks the caller's token and the arguments of a page: first
// (default model.DefaultPageSize) from 0 to model.MaxPageSize in a GraphQL
// request, whose answer must fit its response budget; a caller without a
// budget (REST's streamed list, which writes one page at a time) may read
// up to model.MaxStreamPage; after is a cursor of this API or empty.
func pageArgs(ctx context.Context, first *int, after *string) (afterID int32, limit int, err error) {
	if _, err := auth.PrincipalFrom(ctx); err != nil {
		return 0, 0, err
	}
	maxFirst := model.MaxPageSize
	if _, budgeted := infoReadLimit(ctx); !budgeted {
		maxFirst = model.MaxStreamPage
	}
	limit = model.DefaultPageSize
	if first != nil {
		limit = *first
	}
	problems := validate.Problems{}
	if limit < 0 || limit > maxFirst {
		problems.Add("first", fmt.Sprintf("must be from 0 to %d", maxFirst))
	}
	if after != nil && *after != "" {
		id, ok := model.ParseUserCursor(*after)
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

// checkInfo returns the validation error for info over the bounds of
// validate.Info, which are checked on its JSON text as it will be stored.
func (r *Resolver) checkInfo(info model.JSONObject) error {
	if info == nil {
		return nil
	}
	maxBytes := r.InfoMaxBytes
	if maxBytes <= 0 {
		maxBytes = validate.DefaultInfoMaxBytes
	}
	if msgs := validate.Info(info, maxBytes); len(msgs) > 0 {
		return apperr.InvalidFields(validate.Problems{"info": msgs})
	}
	return nil
}

// upgradeHash replaces a hash made at a lower cost than configured, now that the
// password is known. A failure only means the upgrade waits for the next login.
func (r *Resolver) upgradeHash(ctx context.Context, userID int32, oldHash, password string) {
	hash, err := r.Passwords.Hash(ctx, password)
	if err == nil {
		err = r.queries.UpdatePasswordHash(ctx, db.UpdatePasswordHashParams{NewHash: hash, UserID: userID, OldHash: oldHash})
	}
	if err != nil {
		r.Logger.WarnContext(ctx, "upgrade password hash", "user_id", userID, "err", err)
	}
}
