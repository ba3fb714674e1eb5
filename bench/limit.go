package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The reference "limit" server: the least a Go service can do for the same
// answer. A bare net/http handler on a pgx pool runs the same SELECT of the
// public user columns (the list, or one user by id for W7) and writes the
// legacy envelope with encoding/json; no token, no router, no middleware, no
// logging, no GraphQL. It runs as its own process (the bench binary
// re-executed as "bench limit-server"), like the service, so both pay the
// same process and scheduling costs.

// limitUser is a user as the legacy list shows it.
type limitUser struct {
	Username string          `json:"username"`
	Email    string          `json:"email"`
	Created  int64           `json:"created"`
	Info     json.RawMessage `json:"info"`
	Modified int64           `json:"modified"`
}

type limitMeta struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type limitEnvelope struct {
	Meta limitMeta   `json:"meta"`
	Data []limitUser `json:"data"`
}

// limitOneEnvelope holds one user, as W7's me and user(id:) read one.
type limitOneEnvelope struct {
	Meta limitMeta `json:"meta"`
	Data limitUser `json:"data"`
}

// limitQuery: LIMIT NULL is no limit, so one statement serves the whole list
// and a page.
const limitQuery = `SELECT username, email, info, created, modified FROM "user" ORDER BY user_id LIMIT $1`

// limitUserQuery reads one row by primary key, the database work of the
// service's me and user(id:).
const limitUserQuery = `SELECT username, email, info, created, modified FROM "user" WHERE user_id = $1`

// limitServerMain is the limit-server subcommand: it serves until SIGTERM.
func limitServerMain(args []string) {
	fs := flag.NewFlagSet("limit-server", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	dbURL := fs.String("db", "", "database URL")
	conns := fs.Int("conns", 10, "pool size")
	_ = fs.Parse(args)
	if err := runLimitServer(*addr, *dbURL, *conns); err != nil {
		fmt.Fprintln(os.Stderr, "limit-server:", err)
		os.Exit(1)
	}
}

func runLimitServer(addr, databaseURL string, maxConns int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pc, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return err
	}
	pc.MaxConns = int32(maxConns)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/users", limitList(pool))
	mux.HandleFunc("GET /user", limitOne(pool))
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("limit server: %w", err)
	}
	return nil
}

// limitList serves GET /v1/users[?limit=n]: the list, or its first n users.
func limitList(pool *pgxpool.Pool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var limit *int64
		if s := r.URL.Query().Get("limit"); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				http.Error(w, "bad limit", http.StatusBadRequest)
				return
			}
			limit = &n
		}
		rows, err := pool.Query(r.Context(), limitQuery, limit)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer rows.Close()
		users := []limitUser{}
		for rows.Next() {
			u, err := scanLimitUser(rows)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			users = append(users, u)
		}
		if err := rows.Err(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(limitEnvelope{Meta: limitMeta{Code: 200, Message: "OK"}, Data: users})
	}
}

// limitOne serves GET /user?id=n: user n. It takes the id from the query,
// not from a token, so it stands for both me and user(id:).
func limitOne(pool *pgxpool.Pool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 32)
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		u, err := scanLimitUser(pool.QueryRow(r.Context(), limitUserQuery, id))
		if errors.Is(err, pgx.ErrNoRows) {
			http.Error(w, "no such user", http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(limitOneEnvelope{Meta: limitMeta{Code: 200, Message: "OK"}, Data: u})
	}
}

// scanLimitUser reads one row of limitQuery or limitUserQuery.
func scanLimitUser(row pgx.Row) (limitUser, error) {
	var u limitUser
	var info []byte
	var created, modified *time.Time
	if err := row.Scan(&u.Username, &u.Email, &info, &created, &modified); err != nil {
		return u, err
	}
	if len(info) > 0 {
		u.Info = info
	} else {
		u.Info = json.RawMessage("null")
	}
	if created != nil {
		u.Created = created.Unix()
	}
	if modified != nil {
		u.Modified = modified.Unix()
	}
	return u, nil
}
