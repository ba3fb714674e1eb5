package config

import (
	"encoding/base64"
	"encoding/hex"
	"reflect"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/auth"
	"users/internal/validate"
)

// env is a getenv over a map.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func newKey(t *testing.T) string {
	t.Helper()
	var k fernet.Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	return k.Encode()
}

func encodedKeys(ks []*fernet.Key) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Encode()
	}
	return out
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env())
	if err != nil {
		t.Fatalf("Load with no environment: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Env", c.Env, EnvLocal},
		{"Live", c.Live(), false},
		{"DatabaseURL", c.DatabaseURL, ""},
		{"Port", c.Port, 5000},
		{"Keys", encodedKeys(c.Keys), []string{LegacyKey}},
		{"TokenTTL", c.TokenTTL, 24 * time.Hour},
		{"LegacyCoexistence", c.LegacyCoexistence, false},
		{"BcryptCost", c.BcryptCost, 12},
		{"PasswordPolicy", c.PasswordPolicy, validate.PasswordLegacy},
		{"UserDirectory", c.UserDirectory, auth.DirectoryLegacy},
		{"Playground", c.Playground, true},
		{"Introspection", c.Introspection, true},
		{"APQ", c.APQ, true},
		{"TrustedDocuments", c.TrustedDocuments, ""},
		{"MaxBodyBytes", c.MaxBodyBytes, int64(64 << 10)},
		{"InfoMaxBytes", c.InfoMaxBytes, 4096},
		{"GraphQLMaxResponseBytes", c.GraphQLMaxResponseBytes, int64(2 << 20)},
		{"LoginLimit", c.LoginLimit, Rate{Count: 10, Window: time.Minute}},
		{"SignupLimit", c.SignupLimit, Rate{Count: 20, Window: time.Hour}},
		{"TokenLimit", c.TokenLimit, Rate{Count: 30, Window: time.Minute}},
		{"RateLimitMaxKeys", c.RateLimitMaxKeys, 100_000},
		{"RedisURL", c.RedisURL, ""},
		{"TrustedProxies", c.TrustedProxies, 0},
		{"CORSOrigins", len(c.CORSOrigins), 0},
		{"DBMaxConns", c.DBMaxConns, 10},
		{"PprofAddr", c.PprofAddr, ""},
		{"LogFormat", c.LogFormat, "text"},
		{"ShutdownTimeout", c.ShutdownTimeout, 20 * time.Second},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("default %s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestLoadValues(t *testing.T) {
	fresh, fresh2 := newKey(t), newKey(t)
	tests := []struct {
		name  string
		env   []string
		check func(t *testing.T, c Config)
	}{
		{"live defaults", []string{"APP_ENV", "live", "DATABASE_URL", "postgres://db/users", "SECRET_KEY", fresh}, func(t *testing.T, c Config) {
			if !c.Live() || c.Env != EnvLive {
				t.Errorf("Env = %q", c.Env)
			}
			if c.Playground || c.Introspection {
				t.Errorf("live playground/introspection = %v/%v, want off", c.Playground, c.Introspection)
			}
			if c.LogFormat != "json" {
				t.Errorf("live LogFormat = %q, want json", c.LogFormat)
			}
			if got := encodedKeys(c.Keys); !reflect.DeepEqual(got, []string{fresh}) {
				t.Errorf("Keys = %v, want [%s]", got, fresh)
			}
			if c.DatabaseURL != "postgres://db/users" || c.Port != 5000 || c.BcryptCost != 12 || c.TokenTTL != 24*time.Hour ||
				c.PasswordPolicy != validate.PasswordLegacy {
				t.Errorf("live = %+v", c)
			}
		}},
		{"live asks for playground, introspection and text logs", []string{"APP_ENV", "live", "DATABASE_URL", "postgres://db/users", "SECRET_KEY", fresh,
			"PLAYGROUND", "true", "INTROSPECTION", "1", "LOG_FORMAT", "text"}, func(t *testing.T, c Config) {
			if !c.Playground || !c.Introspection || c.LogFormat != "text" {
				t.Errorf("playground/introspection/log = %v/%v/%q", c.Playground, c.Introspection, c.LogFormat)
			}
		}},
		{"coexistence with the legacy key verify-only", []string{"LEGACY_COEXISTENCE", "true", "SECRET_KEY", fresh + "," + LegacyKey}, func(t *testing.T, c Config) {
			if !c.LegacyCoexistence {
				t.Error("LegacyCoexistence off")
			}
		}},
		{"coexistence in live, legacy key after two of ours", []string{"APP_ENV", "live", "DATABASE_URL", "postgres://db/users", "LEGACY_COEXISTENCE", "1",
			"SECRET_KEY", fresh + "," + fresh2 + "," + LegacyKey}, func(t *testing.T, c Config) {
			if !c.LegacyCoexistence {
				t.Error("LegacyCoexistence off")
			}
		}},
		{"coexistence off says nothing of the keys", []string{"LEGACY_COEXISTENCE", "false", "SECRET_KEY", fresh}, func(t *testing.T, c Config) {
			if c.LegacyCoexistence {
				t.Error("LegacyCoexistence on")
			}
		}},
		{"dev keeps the local defaults", []string{"APP_ENV", "dev"}, func(t *testing.T, c Config) {
			if c.Env != EnvDev || !c.Playground || !c.Introspection || c.LogFormat != "text" {
				t.Errorf("dev = %+v", c)
			}
			if got := encodedKeys(c.Keys); !reflect.DeepEqual(got, []string{LegacyKey}) {
				t.Errorf("dev Keys = %v, want the legacy key", got)
			}
		}},
		{"local turns things off", []string{"PLAYGROUND", "false", "INTROSPECTION", "0", "LOG_FORMAT", "json"}, func(t *testing.T, c Config) {
			if c.Playground || c.Introspection || c.LogFormat != "json" {
				t.Errorf("playground/introspection/log = %v/%v/%q", c.Playground, c.Introspection, c.LogFormat)
			}
		}},
		{"rotation: first signs, all verify, in order", []string{"SECRET_KEY", fresh + "," + fresh2}, func(t *testing.T, c Config) {
			if got := encodedKeys(c.Keys); !reflect.DeepEqual(got, []string{fresh, fresh2}) {
				t.Errorf("Keys = %v, want [%s %s]", got, fresh, fresh2)
			}
		}},
		{"live takeover: fresh key first, legacy key after", []string{"APP_ENV", "live", "DATABASE_URL", "postgres://db/users",
			"SECRET_KEY", fresh + "," + LegacyKey}, func(t *testing.T, c Config) {
			if got := encodedKeys(c.Keys); !reflect.DeepEqual(got, []string{fresh, LegacyKey}) {
				t.Errorf("Keys = %v, want [%s %s]", got, fresh, LegacyKey)
			}
		}},
		{"values", []string{"PORT", "8080", "TOKEN_TTL", "0", "BCRYPT_COST", "4", "MAX_BODY_BYTES", "1048576",
			"INFO_MAX_BYTES", "16384", "GRAPHQL_MAX_RESPONSE_BYTES", "8388608",
			"RATE_LIMIT_LOGIN", "0", "RATE_LIMIT_SIGNUP", "5/m", "REDIS_URL", "redis://r:6379", "TRUSTED_PROXIES", "2",
			"CORS_ALLOWED_ORIGINS", " https://a.example , https://b.example,", "DB_MAX_CONNS", "50",
			"PPROF_ADDR", "127.0.0.1:6060", "SHUTDOWN_TIMEOUT", "5s", "DATABASE_URL", " postgres://x/y ",
			"RATE_LIMIT_TOKEN", "100/1h", "RATE_LIMIT_MAX_KEYS", "1000000"}, func(t *testing.T, c Config) {
			checks := []struct {
				name      string
				got, want any
			}{
				{"DatabaseURL", c.DatabaseURL, "postgres://x/y"},
				{"Port", c.Port, 8080},
				{"TokenTTL", c.TokenTTL, time.Duration(0)},
				{"BcryptCost", c.BcryptCost, 4},
				{"MaxBodyBytes", c.MaxBodyBytes, int64(1 << 20)},
				{"InfoMaxBytes", c.InfoMaxBytes, 16 << 10},
				{"GraphQLMaxResponseBytes", c.GraphQLMaxResponseBytes, int64(8 << 20)},
				{"LoginLimit", c.LoginLimit, Rate{}},
				{"LoginLimit.Off", c.LoginLimit.Off(), true},
				{"SignupLimit", c.SignupLimit, Rate{Count: 5, Window: time.Minute}},
				{"TokenLimit", c.TokenLimit, Rate{Count: 100, Window: time.Hour}},
				{"RateLimitMaxKeys", c.RateLimitMaxKeys, 1_000_000},
				{"RedisURL", c.RedisURL, "redis://r:6379"},
				{"TrustedProxies", c.TrustedProxies, 2},
				{"CORSOrigins", c.CORSOrigins, []string{"https://a.example", "https://b.example"}},
				{"DBMaxConns", c.DBMaxConns, 50},
				{"PprofAddr", c.PprofAddr, "127.0.0.1:6060"},
				{"ShutdownTimeout", c.ShutdownTimeout, 5 * time.Second},
				{"Keys", encodedKeys(c.Keys), []string{LegacyKey}},
			}
			for _, ch := range checks {
				if !reflect.DeepEqual(ch.got, ch.want) {
					t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
				}
			}
		}},
		{"modern password policy", []string{"PASSWORD_POLICY", "modern"}, func(t *testing.T, c Config) {
			if c.PasswordPolicy != validate.PasswordModern {
				t.Errorf("PasswordPolicy = %v, want modern", c.PasswordPolicy)
			}
		}},
		{"legacy password policy by name", []string{"APP_ENV", "live", "DATABASE_URL", "postgres://db/users", "SECRET_KEY", fresh,
			"PASSWORD_POLICY", " legacy "}, func(t *testing.T, c Config) {
			if c.PasswordPolicy != validate.PasswordLegacy {
				t.Errorf("PasswordPolicy = %v, want legacy", c.PasswordPolicy)
			}
		}},
		{"private directory", []string{"USER_DIRECTORY", " private "}, func(t *testing.T, c Config) {
			if c.UserDirectory != auth.DirectoryPrivate {
				t.Errorf("UserDirectory = %v, want private", c.UserDirectory)
			}
		}},
		{"legacy directory by name in live", []string{"APP_ENV", "live", "DATABASE_URL", "postgres://db/users", "SECRET_KEY", fresh,
			"USER_DIRECTORY", "legacy"}, func(t *testing.T, c Config) {
			if c.UserDirectory != auth.DirectoryLegacy {
				t.Errorf("UserDirectory = %v, want legacy", c.UserDirectory)
			}
		}},
		{"port 0 picks a free port", []string{"PORT", "0"}, func(t *testing.T, c Config) {
			if c.Port != 0 {
				t.Errorf("Port = %d", c.Port)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env...))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

// legacyKeyIn returns the legacy key in another encoding fernet.DecodeKey accepts.
func legacyKeyIn(t *testing.T, enc string) string {
	t.Helper()
	k, err := fernet.DecodeKey(LegacyKey)
	if err != nil {
		t.Fatal(err)
	}
	switch enc {
	case "hex":
		return hex.EncodeToString(k[:])
	case "std":
		return base64.StdEncoding.EncodeToString(k[:])
	}
	t.Fatalf("encoding %s", enc)
	return ""
}

// TestLoadPooler: DATABASE_DIRECT_URL and DB_QUERY_EXEC_MODE as given.
func TestLoadPooler(t *testing.T) {
	c, err := Load(env("DATABASE_URL", "postgres://pooler:6432/users", "DATABASE_DIRECT_URL", "postgres://db:5432/users",
		"DB_QUERY_EXEC_MODE", "cache_describe"))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseDirectURL != "postgres://db:5432/users" || c.DBQueryExecMode != "cache_describe" {
		t.Errorf("DatabaseDirectURL %q, DBQueryExecMode %q", c.DatabaseDirectURL, c.DBQueryExecMode)
	}
}

// TestLoadTracing: the standard OpenTelemetry variables decide whether and
// where traces go.
func TestLoadTracing(t *testing.T) {
	tests := []struct {
		name          string
		env           []string
		want, service string
	}{
		{"unset: off", nil, "", "users"},
		{"base endpoint", []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"}, "http://collector:4318/v1/traces", "users"},
		{"traces endpoint as is", []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://b/custom"}, "https://b/custom", "users"},
		{"service name", []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_SERVICE_NAME", "users-eu", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}, "http://c:4318/v1/traces", "users-eu"},
		{"SDK disabled", []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_SDK_DISABLED", "true"}, "", "users"},
		{"exporter none", []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_TRACES_EXPORTER", "none"}, "", "users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env...))
			if err != nil {
				t.Fatal(err)
			}
			if c.TracesEndpoint != tt.want || c.ServiceName != tt.service {
				t.Errorf("TracesEndpoint %q, ServiceName %q; want %q, %q", c.TracesEndpoint, c.ServiceName, tt.want, tt.service)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	good := []struct {
		in   string
		want Rate
		str  string
	}{
		{"10/1m", Rate{10, time.Minute}, "10/1m0s"},
		{"5/m", Rate{5, time.Minute}, "5/1m0s"},
		{"3/h", Rate{3, time.Hour}, "3/1h0m0s"},
		{"100/30s", Rate{100, 30 * time.Second}, "100/30s"},
		{" 7/1s ", Rate{7, time.Second}, "7/1s"},
		{"0", Rate{}, "0"},
	}
	for _, g := range good {
		r, err := ParseRate(g.in)
		if err != nil || r != g.want {
			t.Errorf("ParseRate(%q) = %+v, %v; want %+v", g.in, r, err, g.want)
			continue
		}
		if r.Off() != (g.want.Count == 0) {
			t.Errorf("ParseRate(%q).Off() = %v", g.in, r.Off())
		}
		if r.String() != g.str {
			t.Errorf("ParseRate(%q).String() = %q, want %q", g.in, r.String(), g.str)
		}
	}
	for _, bad := range []string{"", "10", "abc", "/1m", "x/1m", "0/1m", "-1/1m", "1.5/1m", "10/", "10/x", "10/0s", "10/500ms", "10/-1m", "10/1m/1m", "00"} {
		if r, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) = %+v, want an error", bad, r)
		}
	}
}
