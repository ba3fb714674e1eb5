package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pressly/goose/v3/lock"
)

// Lock polling: once a second lets a waiting replica start about a second
// after the first one finishes; a minute bounds the wait.
const (
	lockPoll  = time.Second
	lockTries = 60
)

// xactLocker is goose's migration lock as a transaction-scoped advisory lock
// (pg_advisory_xact_lock, on goose's lock id) held by an open transaction on
// a connection of its own, while goose migrates on another.
//
// goose's own Postgres lock is session-scoped: taken on one statement and
// released by another, which a transaction pooler may send to two different
// server connections, so behind PgBouncer in transaction mode two replicas
// could both "hold" it and the release could fail. A transaction is pinned to
// one server connection by every pooler, so this lock holds through one too,
// and PostgreSQL releases it when the transaction or the connection ends
// (a replica killed while migrating frees it at once).
type xactLocker struct {
	mu   sync.Mutex
	conn *sql.Conn
	tx   *sql.Tx
}

var _ lock.Locker = (*xactLocker)(nil)

// Lock waits for the lock, polling every lockPoll up to lockTries times.
func (l *xactLocker) Lock(ctx context.Context, db *sql.DB) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			conn.Close()
		}
	}()
	for try := 1; ; try++ {
		var locked bool
		if err := tx.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock($1)", lock.DefaultLockID).Scan(&locked); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		if locked {
			break
		}
		if try == lockTries {
			return fmt.Errorf("migration lock: still held by another process after %s", lockPoll*lockTries)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migration lock: %w", ctx.Err())
		case <-time.After(lockPoll):
		}
	}
	l.mu.Lock()
	l.conn, l.tx = conn, tx
	l.mu.Unlock()
	return nil
}

// Unlock ends the lock's transaction (nothing was written in it) and gives
// its connection back.
func (l *xactLocker) Unlock(context.Context, *sql.DB) error {
	l.mu.Lock()
	conn, tx := l.conn, l.tx
	l.conn, l.tx = nil, nil
	l.mu.Unlock()
	if tx == nil {
		return errors.New("migration lock: not held")
	}
	err := tx.Rollback()
	return errors.Join(err, conn.Close())
}
