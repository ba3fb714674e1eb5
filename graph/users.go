package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"

	pgx "github.com/jackc/pgx/v5"

	"users/db"
	"users/graph/model"
	"users/internal/apperr"
	"users/internal/auth"
	"users/internal/validate"
)

// Keyset bounds of a page: user_id > after and < before. Serial user ids
// start at 1, so 0 is below every user (as REST's ?after= has always read
// it); 1<<31 is past every int4.
const (
	noAfter  = 0
	noBefore = 1 << 31
)

// pageQuery is users' arguments, checked: the keyset bounds from the
// cursors, and first and last (-1 when not given).
type pageQuery struct {
	after, before int64
	first, last   int
}

// page answers users() with the Relay Cursor Connections algorithm on a
// keyset (never OFFSET): with first, the users after `after` (and before
// `before`) in id order, one more than needed to learn whether more follow,
// then the last `last` of them if last is given too; with last alone, the
// users before `before` read downward and reversed. The spec's optional
// cases (hasPreviousPage when paging forward, hasNextPage when paging
// backward) are false, which costs no query. The users of a page are
// allocated as one array rather than one object per row; edges, ids and
// cursors are made only when a client selects them.
func (r *Resolver) page(ctx context.Context, q pageQuery) (*model.UserConnection, error) {
	backward := q.first < 0
	read := q.first
	switch {
	case backward:
		read = q.last
	case q.last >= 0:
		read = max(q.first, q.last) // hasPreviousPage counts the rows before first cuts them
	}
	users, err := r.readUsers(ctx, q, read, backward)
	if err != nil {
		return nil, err
	}
	info := &model.PageInfo{}
	if backward {
		info.HasPreviousPage = len(users) > q.last
		users = users[:min(len(users), q.last)]
		slices.Reverse(users)
	} else {
		info.HasNextPage = len(users) > q.first
		if q.last >= 0 {
			info.HasPreviousPage = len(users) > q.last
		}
		users = users[:min(len(users), q.first)]
		if q.last >= 0 && len(users) > q.last {
			users = users[len(users)-q.last:]
		}
	}
	conn := &model.UserConnection{Nodes: make([]*model.User, len(users)), PageInfo: info}
	for i := range users {
		conn.Nodes[i] = &users[i]
	}
	if n := len(users); n > 0 {
		start, end := model.UserCursor(users[0].UserID), model.UserCursor(users[n-1].UserID)
		info.StartCursor, info.EndCursor = &start, &end
	}
	return conn, nil
}

// readUsers reads up to limit+1 users within q's bounds, upward, or
// downward when backward. Within a GraphQL request it reads info only up
// to the response budget, and charges the first limit users to it
// (chargeInfo); outside one (REST) there is no budget, and the plain
// forward query spares PostgreSQL the sizes.
func (r *Resolver) readUsers(ctx context.Context, q pageQuery, limit int, backward bool) ([]model.User, error) {
	v, err := r.viewerFrom(ctx)
	if err != nil {
		return nil, err
	}
	maxInfo, budgeted := infoReadLimit(ctx)
	if !budgeted && !backward && q.before == noBefore {
		rows, err := r.queries.ListUsers(ctx, db.ListUsersParams{AfterID: int32(q.after), MaxRows: int32(limit) + 1})
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
	params := db.ListUserPageParams{AfterID: q.after, BeforeID: q.before, MaxRows: int32(limit) + 1, MaxInfoBytes: maxInfo}
	var rows []db.ListUserPageRow
	if backward {
		var back []db.ListUserPageBackwardRow
		back, err = r.queries.ListUserPageBackward(ctx, db.ListUserPageBackwardParams(params))
		rows = make([]db.ListUserPageRow, len(back))
		for i, row := range back {
			rows[i] = db.ListUserPageRow(row)
		}
	} else {
		rows, err = r.queries.ListUserPage(ctx, params)
	}
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

// nodes answers nodes(ids:): the object of each global ID, in order, nil
// where there is none, read in one query within the response budget.
func (r *Resolver) nodes(ctx context.Context, ids []string) ([]model.Node, error) {
	v, err := r.viewerFrom(ctx)
	if err != nil {
		return nil, err
	}
	userIDs := make([]int32, 0, len(ids))
	for _, id := range ids {
		if userID, ok := model.ParseUserGlobalID(id); ok {
			userIDs = append(userIDs, userID)
		}
	}
	out := make([]model.Node, len(ids))
	if len(userIDs) == 0 {
		return out, nil
	}
	maxInfo, _ := infoReadLimit(ctx)
	rows, err := r.queries.GetUsers(ctx, db.GetUsersParams{UserIds: userIDs, MaxInfoBytes: maxInfo})
	if err != nil {
		return nil, dbError(err, "get users")
	}
	found := make(map[int32]*model.User, len(rows))
	for i := range rows {
		row := &rows[i]
		if err := chargeInfo(ctx, int(row.InfoSize)); err != nil {
			return nil, err
		}
		u := publicUser(v, row.UserID, row.Username, &row.Email, row.Info, row.Created, row.Modified)
		found[row.UserID] = &u
	}
	for i, id := range ids {
		if userID, ok := model.ParseUserGlobalID(id); ok && found[userID] != nil {
			out[i] = found[userID]
		}
	}
	return out, nil
}

// errNoUser is me's answer when the token's user was deleted after its
// session was looked up: the token stands for nobody.
var errNoUser = apperr.New(apperr.Unauthenticated, "invalid or expired token")

// pageArgs checks the caller's token and users' arguments: first and last
// from 0 to model.MaxPageSize in a GraphQL request, whose answer must fit
// its response budget (a caller without a budget, REST's streamed list,
// which writes one page at a time, may read up to model.MaxStreamPage);
// model.DefaultPageSize from the start when neither is given; after and
// before cursors of this API, or empty.
func pageArgs(ctx context.Context, first *int, after *string, last *int, before *string) (pageQuery, error) {
	if _, err := auth.PrincipalFrom(ctx); err != nil {
		return pageQuery{}, err
	}
	maxSize := model.MaxPageSize
	if _, budgeted := infoReadLimit(ctx); !budgeted {
		maxSize = model.MaxStreamPage
	}
	q := pageQuery{after: noAfter, before: noBefore, first: -1, last: -1}
	problems := validate.Problems{}
	size := func(name string, n *int) int {
		if n == nil {
			return -1
		}
		if *n < 0 || *n > maxSize {
			problems.Add(name, fmt.Sprintf("must be from 0 to %d", maxSize))
		}
		return *n
	}
	q.first, q.last = size("first", first), size("last", last)
	if q.first < 0 && q.last < 0 {
		q.first = model.DefaultPageSize
	}
	cursor := func(name string, c *string, bound *int64) {
		if c == nil || *c == "" {
			return
		}
		id, ok := model.ParseUserCursor(*c)
		if !ok {
			problems.Add(name, "not a cursor from this API")
		}
		*bound = int64(id)
	}
	cursor("after", after, &q.after)
	cursor("before", before, &q.before)
	if len(problems) > 0 {
		return pageQuery{}, apperr.InvalidFields(problems)
	}
	return q, nil
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
