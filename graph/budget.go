package graph

import (
	"context"
	"math"
	"strconv"
	"sync/atomic"

	"users/internal/apperr"
)

// DefaultMaxResponseBytes is the default of HandlerOptions.MaxResponseBytes
// (GRAPHQL_MAX_RESPONSE_BYTES).
const DefaultMaxResponseBytes = 2 << 20

// responseBudget is how many bytes of info one GraphQL response may still
// read. Resolvers run concurrently, so it is atomic.
type responseBudget struct {
	limit int64
	left  atomic.Int64
}

type budgetKey struct{}

// withResponseBudget gives the GraphQL request in ctx a budget of limit bytes.
func withResponseBudget(ctx context.Context, limit int64) (context.Context, *responseBudget) {
	b := &responseBudget{limit: limit}
	b.left.Store(limit)
	return context.WithValue(ctx, budgetKey{}, b), b
}

// exceeded reports whether a charge went over the budget.
func (b *responseBudget) exceeded() bool { return b.left.Load() < 0 }

// infoReadLimit is how many bytes of info a read may still bring in for the
// GraphQL request in ctx: the budget left. budgeted is false outside a
// GraphQL request (REST), which has no budget. The queries that take the
// limit (GetUser, ListUserPage) leave out an info over it, so a legacy row
// far over INFO_MAX_BYTES never reaches memory whole.
func infoReadLimit(ctx context.Context) (limit int32, budgeted bool) {
	b, ok := ctx.Value(budgetKey{}).(*responseBudget)
	if !ok {
		return math.MaxInt32, false
	}
	return int32(min(max(b.left.Load(), 0), math.MaxInt32)), true
}

// chargeInfo takes size bytes, a user's info as PostgreSQL writes it, from
// the response budget of the GraphQL request in ctx. Every user row a
// GraphQL answer reads is charged, info selected or not, since the row is
// in memory either way. Over the budget it fails with
// apperr.ResponseTooLarge, so the answer never holds more info than the
// budget. An info a query left out for infoReadLimit is always over it.
// REST calls carry no budget: REST writes one user, or streams the list.
func chargeInfo(ctx context.Context, size int) error {
	b, ok := ctx.Value(budgetKey{}).(*responseBudget)
	if !ok || b.left.Add(-int64(size)) >= 0 {
		return nil
	}
	return errResponseTooLarge(b.limit)
}

// errResponseTooLarge is the error for an answer over limit bytes.
func errResponseTooLarge(limit int64) *apperr.Error {
	return apperr.New(apperr.ResponseTooLarge, "the answer would hold more than "+strconv.FormatInt(limit, 10)+" bytes: ask for fewer users, or leave out info")
}
