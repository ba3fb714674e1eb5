package graph

import (
	"context"

	"users/internal/auth"
)

// LookupSessions is the session lookup of auth.Middleware (through the
// session cache): the principal (user and role) of each user whose sid is
// sid, with the SHA-256 of the legacy token stored for them, computed by
// PostgreSQL so the token never reaches this process.
func (r *Resolver) LookupSessions(ctx context.Context, sid string) ([]auth.Session, error) {
	rows, err := r.queries.GetSessionsBySID(ctx, sid)
	if err != nil {
		return nil, err
	}
	sessions := make([]auth.Session, len(rows))
	for i, row := range rows {
		sessions[i] = auth.Session{
			Principal:         auth.Principal{UserID: row.UserID, SID: row.SID, Role: auth.Role(row.Role)},
			LegacyTokenSHA256: row.LegacyTokenSha256,
		}
	}
	return sessions, nil
}
