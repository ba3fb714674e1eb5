package persisted

import (
	"container/list"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store holds APQ documents by the hex SHA-256 of their text.
type Store interface {
	Get(ctx context.Context, hash string) (query string, ok bool)
	Add(ctx context.Context, hash, query string)
}

// DefaultMemoryBytes bounds the in-process APQ store: documents are at most
// MAX_BODY_BYTES each, and a client that finds its document evicted just
// sends it again.
const DefaultMemoryBytes = 8 << 20

// Memory is an in-process Store that forgets the least recently used
// documents beyond a total size.
type Memory struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // of *entry, most recently used first
	index map[string]*list.Element
}

type entry struct{ hash, query string }

// NewMemory returns a Memory of at most maxBytes of documents and hashes
// (DefaultMemoryBytes when 0 or less).
func NewMemory(maxBytes int) *Memory {
	if maxBytes <= 0 {
		maxBytes = DefaultMemoryBytes
	}
	return &Memory{max: maxBytes, order: list.New(), index: map[string]*list.Element{}}
}

// Get returns the document stored under hash.
func (m *Memory) Get(_ context.Context, hash string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.index[hash]
	if !ok {
		return "", false
	}
	m.order.MoveToFront(el)
	return el.Value.(*entry).query, true
}

// Add stores a document, evicting the least recently used ones to make room;
// one larger than the whole store is not kept.
func (m *Memory) Add(_ context.Context, hash, query string) {
	n := len(hash) + len(query)
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.index[hash]; ok {
		m.order.MoveToFront(el)
		return
	}
	if n > m.max {
		return
	}
	for m.size+n > m.max {
		oldest := m.order.Back()
		e := oldest.Value.(*entry)
		m.order.Remove(oldest)
		delete(m.index, e.hash)
		m.size -= len(e.hash) + len(e.query)
	}
	m.index[hash] = m.order.PushFront(&entry{hash: hash, query: query})
	m.size += n
}

// Redis defaults.
const (
	// DefaultPrefix starts every key the APQ store writes in Redis.
	DefaultPrefix = "users:apq:"
	// DefaultTTL is how long Redis keeps a document after its registration;
	// a client whose document expired registers it again.
	DefaultTTL = 24 * time.Hour
	// redisTimeout bounds one Redis call: past it the request goes on as if
	// Redis had no document (the client then sends it).
	redisTimeout = 300 * time.Millisecond
)

// Shared is a Store shared by every replica through Redis, with a Memory in
// front so a replica asks Redis only for documents it has not seen. When
// Redis fails the store works from memory alone, and says so in the log at
// most once a minute.
type Shared struct {
	Local  *Memory
	Client redis.Cmdable
	Prefix string        // DefaultPrefix when ""
	TTL    time.Duration // DefaultTTL when 0
	Logger *slog.Logger

	lastWarn atomic.Int64 // unix seconds of the last warning
}

// Get returns a document from memory, else from Redis.
func (s *Shared) Get(ctx context.Context, hash string) (string, bool) {
	if q, ok := s.Local.Get(ctx, hash); ok {
		return q, true
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	q, err := s.Client.Get(ctx, s.key(hash)).Result()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			s.warn(ctx, err)
		}
		return "", false
	}
	// Redis is shared, so check what it holds: a document stored under
	// another document's hash would run in its place.
	if sha256Hex(q) != hash {
		return "", false
	}
	s.Local.Add(ctx, hash, q)
	return q, true
}

// Add stores a document in memory and in Redis.
func (s *Shared) Add(ctx context.Context, hash, query string) {
	s.Local.Add(ctx, hash, query)
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	if err := s.Client.Set(ctx, s.key(hash), query, ttl).Err(); err != nil {
		s.warn(ctx, err)
	}
}

func (s *Shared) key(hash string) string {
	if s.Prefix == "" {
		return DefaultPrefix + hash
	}
	return s.Prefix + hash
}

func (s *Shared) warn(ctx context.Context, err error) {
	now := time.Now().Unix()
	last := s.lastWarn.Load()
	if now-last < 60 || !s.lastWarn.CompareAndSwap(last, now) || s.Logger == nil {
		return
	}
	s.Logger.WarnContext(ctx, "persisted queries: redis unavailable; serving APQ documents from this replica's memory", "err", err)
}
