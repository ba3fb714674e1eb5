// Package config reads the service's settings from the environment, once, at
// start. Nothing else reads the environment.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fernet/fernet-go"
	"golang.org/x/crypto/bcrypt"

	"users/internal/auth"
	"users/internal/dbpool"
	"users/internal/validate"
)

// LegacyKey is the Fernet key the legacy app shipped in its repository. It is
// public, so anyone can forge tokens with it: it is the default only outside
// live, and live never signs with it.
const LegacyKey = "xs4G5ZD9SwNME6nWRWrK_aq6Yb9H8VJpdwCzkTErFPw="

// Environments, as APP_ENV names them.
const (
	EnvLocal = "local"
	EnvDev   = "dev"
	EnvLive  = "live"
)

// Config is every setting of the service. Tests build it as a literal.
type Config struct {
	Env         string // APP_ENV: local (default), dev or live
	DatabaseURL string // DATABASE_URL; empty outside live means "find or start one"
	// DatabaseDirectURL is DATABASE_DIRECT_URL: a direct connection to the
	// same database as DATABASE_URL (which is then a connection pooler's),
	// for what needs a session: LISTEN and migrations. Empty: DATABASE_URL
	// is direct.
	DatabaseDirectURL string
	// DBQueryExecMode is DB_QUERY_EXEC_MODE, how the pool sends statements
	// (pgx's query exec modes); "" when unset (see internal/dbpool.ExecMode).
	DBQueryExecMode string
	Port            int // PORT, default 5000 as legacy

	Keys     []*fernet.Key // SECRET_KEY: the first signs, all verify
	TokenTTL time.Duration // TOKEN_TTL; 0 means tokens never expire
	// LegacyCoexistence is LEGACY_COEXISTENCE: users' rows stay ones the
	// legacy app can serve (a 10-digit sid and its stored token), for a
	// canary beside it and a way back. It needs the legacy key in Keys,
	// after a key of our own.
	LegacyCoexistence bool

	BcryptCost int // BCRYPT_COST, default 12 as legacy
	// BcryptConcurrency is BCRYPT_CONCURRENCY, how many bcrypt computations
	// run at once; 0 (the default) is one per core.
	BcryptConcurrency int
	// PasswordPolicy is PASSWORD_POLICY, the rule for new passwords: legacy
	// (the default, for REST compatibility) or modern.
	PasswordPolicy validate.PasswordPolicy
	// UserDirectory is USER_DIRECTORY, who sees whose email and info:
	// legacy (the default, for REST compatibility: everyone sees everyone)
	// or private (each user their own; admins everyone's).
	UserDirectory auth.Directory

	Playground    bool // PLAYGROUND: serve /playground (default on outside live)
	Introspection bool // INTROSPECTION: schema introspection and field suggestions (default on outside live)
	// APQ: Apollo's automatic persisted queries (default on), in process and
	// through REDIS_URL when set.
	APQ bool
	// TrustedDocuments is TRUSTED_DOCUMENTS: the path of a manifest of the
	// only documents that run ("" for none).
	TrustedDocuments string

	MaxBodyBytes   int64  // MAX_BODY_BYTES: request body limit on every route
	LoginLimit     Rate   // RATE_LIMIT_LOGIN, per client IP and per email
	SignupLimit    Rate   // RATE_LIMIT_SIGNUP, per client IP and per email
	RedisURL       string // REDIS_URL: share rate-limit counters between replicas
	TrustedProxies int    // TRUSTED_PROXIES: proxies in front that append to X-Forwarded-For
	CORSOrigins    []string

	TokenLimit              Rate  // RATE_LIMIT_TOKEN: refused tokens per client IP
	RateLimitMaxKeys        int   // RATE_LIMIT_MAX_KEYS: counters the in-process store keeps (0: ratelimit.DefaultMaxKeys)
	InfoMaxBytes            int   // INFO_MAX_BYTES: largest info a sign-up may store, as PostgreSQL writes it back
	GraphQLMaxResponseBytes int64 // GRAPHQL_MAX_RESPONSE_BYTES: most bytes one GraphQL answer may hold

	DBMaxConns  int    // DB_MAX_CONNS: pgx pool size
	PprofAddr   string // PPROF_ADDR: serve net/http/pprof there (never on the public port)
	MetricsAddr string // METRICS_ADDR: /metrics on its own listener (host:port) or "off"; unset: public port outside live, nowhere in live
	LogFormat   string // LOG_FORMAT: json or text (default json in live, text otherwise)

	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT: how long in-flight requests may take at stop

	// TracesEndpoint is where traces go over OTLP/HTTP, a full URL:
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, else
	// OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces"; "" (tracing off) without
	// either, or with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
	TracesEndpoint string
	ServiceName    string // OTEL_SERVICE_NAME, default "users"
}

// Rate is a number of events per window. A zero Rate is no limit.
type Rate struct {
	Count  int
	Window time.Duration
}

// Off reports whether the limit is disabled.
func (r Rate) Off() bool { return r.Count == 0 }

func (r Rate) String() string {
	if r.Off() {
		return "0"
	}
	return fmt.Sprintf("%d/%s", r.Count, r.Window)
}

// ParseRate reads "COUNT/WINDOW" such as "10/1m" (window a Go duration, or a
// bare unit: "10/m" is "10/1m"), or "0" for no limit.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return Rate{}, nil
	}
	count, window, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q is not COUNT/WINDOW (such as 10/1m) or 0", s)
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return Rate{}, fmt.Errorf("%q: count must be a positive integer", s)
	}
	if window != "" && (window[0] < '0' || window[0] > '9') {
		window = "1" + window
	}
	d, err := time.ParseDuration(window)
	if err != nil || d < time.Second {
		return Rate{}, fmt.Errorf("%q: window must be a duration of at least 1s", s)
	}
	return Rate{Count: n, Window: d}, nil
}

// CheckCoexistence returns why c cannot run LEGACY_COEXISTENCE, or nil. The
// tokens both services share are signed with the public legacy key, so here
// that key must only verify (after a key of our own in SECRET_KEY): then a
// token it signed is accepted only as the one stored for its user.
func CheckCoexistence(c Config) error {
	if !c.LegacyCoexistence {
		return nil
	}
	for i, k := range c.Keys {
		if k.Encode() == LegacyKey {
			if i == 0 {
				break
			}
			return nil
		}
	}
	return errors.New("needs SECRET_KEY=<a key of your own>,<the legacy key>: the legacy key verifies the tokens both services share, and must not sign here (SECURITY.md, Coexistence with the legacy app)")
}

// Live reports whether this is a production deployment.
func (c Config) Live() bool { return c.Env == EnvLive }

// Load reads the configuration from getenv and returns every problem at once.
func Load(getenv func(string) string) (Config, error) {
	var problems []error
	bad := func(name string, err error) { problems = append(problems, fmt.Errorf("%s: %w", name, err)) }
	str := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	num := func(name string, def, lo, hi int) int {
		v := str(name, "")
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			bad(name, fmt.Errorf("%q is not an integer from %d to %d", v, lo, hi))
			return def
		}
		return n
	}
	boolean := func(name string, def bool) bool {
		v := str(name, "")
		if v == "" {
			return def
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(name, fmt.Errorf("%q is not true or false", v))
			return def
		}
		return b
	}
	duration := func(name string, def time.Duration) time.Duration {
		v := str(name, "")
		if v == "" {
			return def
		}
		if v == "0" {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			bad(name, fmt.Errorf("%q is not a duration such as 24h or 0", v))
			return def
		}
		return d
	}
	rate := func(name, def string) Rate {
		r, err := ParseRate(str(name, def))
		if err != nil {
			bad(name, err)
		}
		return r
	}

	c := Config{Env: str("APP_ENV", EnvLocal)}
	switch c.Env {
	case EnvLocal, EnvDev, EnvLive:
	default:
		bad("APP_ENV", fmt.Errorf("%q is not local, dev or live", c.Env))
	}
	live := c.Live()

	c.DatabaseURL = str("DATABASE_URL", "")
	if live && c.DatabaseURL == "" {
		bad("DATABASE_URL", errors.New("required in live"))
	}
	c.DatabaseDirectURL = str("DATABASE_DIRECT_URL", "")
	if c.DatabaseDirectURL != "" && c.DatabaseURL == "" {
		bad("DATABASE_DIRECT_URL", errors.New("set only with DATABASE_URL (the pooled connection it goes with)"))
	}
	c.DBQueryExecMode = str("DB_QUERY_EXEC_MODE", "")
	if c.DBQueryExecMode != "" && !dbpool.ValidExecMode(c.DBQueryExecMode) {
		bad("DB_QUERY_EXEC_MODE", fmt.Errorf("%q is not one of %s", c.DBQueryExecMode, strings.Join(dbpool.ExecModes(), ", ")))
	}
	c.Port = num("PORT", 5000, 0, 65535)

	secret := str("SECRET_KEY", "")
	switch {
	case secret == "" && live:
		bad("SECRET_KEY", errors.New("required in live (generate one with: server genkey)"))
	case secret == "":
		secret = LegacyKey
	}
	if secret != "" {
		parts := strings.Split(secret, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		keys, err := fernet.DecodeKeys(parts...)
		switch {
		case err != nil:
			bad("SECRET_KEY", errors.New("not a comma-separated list of 32-byte url-safe base64 Fernet keys"))
		case live && keys[0].Encode() == LegacyKey: // compare keys, not spellings (hex and std base64 decode too)
			bad("SECRET_KEY", errors.New("live never signs with the public legacy key: put a fresh key first"))
		default:
			c.Keys = keys
		}
	}
	c.TokenTTL = duration("TOKEN_TTL", 24*time.Hour)
	c.LegacyCoexistence = boolean("LEGACY_COEXISTENCE", false)
	if err := CheckCoexistence(c); err != nil && c.Keys != nil {
		bad("LEGACY_COEXISTENCE", err)
	}
	c.BcryptCost = num("BCRYPT_COST", 12, bcrypt.MinCost, bcrypt.MaxCost)
	c.BcryptConcurrency = num("BCRYPT_CONCURRENCY", 0, 0, 1024)
	if v := str("PASSWORD_POLICY", ""); v != "" {
		policy, err := validate.ParsePasswordPolicy(v)
		if err != nil {
			bad("PASSWORD_POLICY", err)
		}
		c.PasswordPolicy = policy
	}

	if v := str("USER_DIRECTORY", ""); v != "" {
		dir, err := auth.ParseDirectory(v)
		if err != nil {
			bad("USER_DIRECTORY", err)
		}
		c.UserDirectory = dir
	}

	c.Playground = boolean("PLAYGROUND", !live)
	c.Introspection = boolean("INTROSPECTION", !live)
	c.APQ = boolean("APQ", true)
	c.TrustedDocuments = str("TRUSTED_DOCUMENTS", "")

	c.MaxBodyBytes = int64(num("MAX_BODY_BYTES", 64<<10, 1<<10, 64<<20))
	c.InfoMaxBytes = num("INFO_MAX_BYTES", validate.DefaultInfoMaxBytes, 256, 1<<20)
	c.GraphQLMaxResponseBytes = int64(num("GRAPHQL_MAX_RESPONSE_BYTES", 2<<20, 64<<10, 1<<30))
	c.LoginLimit = rate("RATE_LIMIT_LOGIN", "10/1m")
	c.SignupLimit = rate("RATE_LIMIT_SIGNUP", "20/1h")
	c.TokenLimit = rate("RATE_LIMIT_TOKEN", "30/1m")
	c.RateLimitMaxKeys = num("RATE_LIMIT_MAX_KEYS", 100_000, 100, 10_000_000)
	c.RedisURL = str("REDIS_URL", "")
	c.TrustedProxies = num("TRUSTED_PROXIES", 0, 0, 10)
	if v := str("CORS_ALLOWED_ORIGINS", ""); v != "" {
		for o := range strings.SplitSeq(v, ",") {
			o = strings.TrimSpace(o)
			if o == "*" {
				bad("CORS_ALLOWED_ORIGINS", errors.New("list origins explicitly: a wildcard would let any site call the API"))
				continue
			}
			if o != "" {
				c.CORSOrigins = append(c.CORSOrigins, o)
			}
		}
	}

	c.DBMaxConns = num("DB_MAX_CONNS", 10, 1, 1000)
	c.PprofAddr = str("PPROF_ADDR", "")
	c.MetricsAddr = str("METRICS_ADDR", "")
	if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil && c.MetricsAddr != "" && c.MetricsAddr != "off" {
		bad("METRICS_ADDR", fmt.Errorf("%q is not host:port (such as :9090) or off", c.MetricsAddr))
	}
	def := "text"
	if live {
		def = "json"
	}
	c.LogFormat = str("LOG_FORMAT", def)
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("LOG_FORMAT", fmt.Errorf("%q is not json or text", c.LogFormat))
	}
	c.ShutdownTimeout = duration("SHUTDOWN_TIMEOUT", 20*time.Second)
	c.TracesEndpoint, c.ServiceName = tracing(str, bad)

	if len(problems) > 0 {
		// One line, so a refusing live process says why in one log line.
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Error()
		}
		return Config{}, errors.New("configuration: " + strings.Join(msgs, "; "))
	}
	return c, nil
}

// tracing reads the standard OpenTelemetry variables that decide whether
// and where traces go (the SDK reads the finer ones itself).
func tracing(str func(name, def string) string, bad func(name string, err error)) (endpoint, service string) {
	service = str("OTEL_SERVICE_NAME", "users")
	switch v := str("OTEL_SDK_DISABLED", "false"); strings.ToLower(v) {
	case "true":
		return "", service
	case "false":
	default:
		bad("OTEL_SDK_DISABLED", fmt.Errorf("%q is not true or false", v))
	}
	switch v := str("OTEL_TRACES_EXPORTER", "otlp"); v {
	case "none":
		return "", service
	case "otlp":
	default:
		bad("OTEL_TRACES_EXPORTER", fmt.Errorf("%q is not otlp or none", v))
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := str(name, ""); v != "" {
			if v != "http/protobuf" {
				bad(name, fmt.Errorf("%q: only http/protobuf is supported (the OTLP/HTTP port, 4318)", v))
			}
			break
		}
	}
	name := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	endpoint = str(name, "")
	if endpoint == "" {
		name = "OTEL_EXPORTER_OTLP_ENDPOINT"
		if base := str(name, ""); base != "" {
			endpoint = strings.TrimRight(base, "/") + "/v1/traces"
		}
	}
	if endpoint == "" {
		return "", service
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad(name, errors.New("not an http:// or https:// URL"))
		return "", service
	}
	return endpoint, service
}
