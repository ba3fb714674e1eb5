package sessioncache

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// probePrefix starts every probe's payload. No sid starts with it (sids are
// hex or digits), and every replica ignores the probes of the others.
const probePrefix = "probe:"

// What the log last said about verification, so that each change is logged
// once.
const (
	reportedNothing = iota
	reportedVerified
	reportedLost
)

// notVerifiedHint is what the log says when probes are lost: the usual cause
// and its fix.
const notVerifiedHint = "a transaction pooler (PgBouncer, a platform's pooled URL) between the service and PostgreSQL drops LISTEN: " +
	"set DATABASE_DIRECT_URL to a direct connection to the same database (docs/deployment.md, Connection poolers)"

// Run listens for revocations until ctx ends, reconnecting with exponential
// backoff (100 ms to 10 s) when the connection fails. Until the listener is
// verified (its first probe heard back), and whenever it is not, Lookup goes
// to the database every time.
func (c *Cache) Run(ctx context.Context) {
	backoff := minBackoff
	for {
		start := time.Now()
		err := c.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > maxBackoff {
			backoff = minBackoff // it had been up a while: this is a new failure
		}
		c.log.WarnContext(ctx, "session cache listener down: lookups go to the database", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// listen connects, LISTENs, probes and applies notifications until the
// connection fails or ctx ends.
func (c *Cache) listen(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, c.connCfg)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return err
	}
	c.listening.Store(true)
	c.connects.Add(1)
	defer func() {
		c.listening.Store(false)
		c.setVerified(false)
		c.reported = reportedNothing
	}()
	if n := c.connects.Load(); n > 1 {
		c.log.InfoContext(ctx, "session cache listener reconnected", "connects", n)
	}

	var (
		seq      uint64
		pending  string    // the probe awaited; "" when none
		deadline time.Time // when pending counts as lost
		next     = time.Now()
	)
	for {
		if pending == "" && !time.Now().Before(next) {
			seq++
			payload := c.probeID + strconv.FormatUint(seq, 10)
			next = time.Now().Add(c.probeEvery)
			if err := c.sendProbe(ctx, payload); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				c.probeLost(ctx, "the probe could not be sent: "+err.Error())
			} else {
				pending, deadline = payload, time.Now().Add(c.probeWait)
			}
		}
		wake := next
		if pending != "" {
			wake = deadline
		}
		waitCtx, cancel := context.WithDeadline(ctx, wake)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			c.notified(ctx, n.Payload, &pending)
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !pgconn.Timeout(err):
			return err
		}
		if pending == "" || time.Now().Before(deadline) {
			continue
		}
		pending = ""
		c.probeLost(ctx, notVerifiedHint)
		// The connection may also have died without a word: find out.
		pingCtx, cancel := context.WithTimeout(ctx, c.probeWait)
		err = conn.Ping(pingCtx)
		cancel()
		if err != nil {
			return err
		}
	}
}

// notified applies one notification: a revocation, or a probe (this cache's
// awaited one verifies it; any other is ignored).
func (c *Cache) notified(ctx context.Context, payload string, pending *string) {
	if !strings.HasPrefix(payload, probePrefix) {
		c.Invalidate(payload)
		return
	}
	if payload != *pending {
		return
	}
	*pending = ""
	c.probesHeard.Add(1)
	c.setVerified(true)
	if c.reported != reportedVerified {
		c.reported = reportedVerified
		c.log.InfoContext(ctx, "session cache verified: the listener hears what the pool's transactions notify; sessions are cached")
	}
}

// sendProbe notifies the channel through the service's pool, as a revocation
// would be, and returns once PostgreSQL has committed it.
func (c *Cache) sendProbe(ctx context.Context, payload string) error {
	if c.probe == nil {
		return errors.New("no probe pool")
	}
	ctx, cancel := context.WithTimeout(ctx, c.probeWait)
	defer cancel()
	_, err := c.probe.Exec(ctx, "SELECT pg_notify($1, $2)", Channel, payload)
	return err
}

func (c *Cache) probeLost(ctx context.Context, why string) {
	c.probesLost.Add(1)
	c.setVerified(false)
	if c.reported != reportedLost {
		c.reported = reportedLost
		c.log.WarnContext(ctx, "session cache not verified: a probe sent through DATABASE_URL did not reach the listener in time; every authenticated request reads the database until one does",
			"probe_timeout", c.probeWait.String(), "hint", why)
	}
}

// setVerified puts the cache in use or takes it out, flushing it either way:
// notifications may have been lost while it was not verified.
func (c *Cache) setVerified(ok bool) {
	if c.verified.Load() == ok {
		return
	}
	if !ok {
		c.verified.Store(false)
	}
	c.Flush()
	if ok {
		c.verified.Store(true)
	}
}
