package config

import (
	"encoding/base64"
	"encoding/hex"
	"reflect"
	"strings"
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

func TestLoadInvalid(t *testing.T) {
	fresh := newKey(t)
	live := []string{"APP_ENV", "live", "DATABASE_URL", "postgres://db/users"}
	tests := []struct {
		name string
		env  []string
		want []string // each must appear in the error
	}{
		{"APP_ENV", []string{"APP_ENV", "production"}, []string{"APP_ENV", "production"}},
		{"PORT not a number", []string{"PORT", "http"}, []string{"PORT"}},
		{"PORT too big", []string{"PORT", "65536"}, []string{"PORT"}},
		{"PORT negative", []string{"PORT", "-1"}, []string{"PORT"}},
		{"SECRET_KEY garbage", []string{"SECRET_KEY", "not-a-key"}, []string{"SECRET_KEY"}},
		{"SECRET_KEY short", []string{"SECRET_KEY", "c2hvcnQ="}, []string{"SECRET_KEY"}},
		{"SECRET_KEY one bad of two", []string{"SECRET_KEY", fresh + ",nope"}, []string{"SECRET_KEY"}},
		{"SECRET_KEY empty element", []string{"SECRET_KEY", fresh + ","}, []string{"SECRET_KEY"}},
		{"TOKEN_TTL", []string{"TOKEN_TTL", "forever"}, []string{"TOKEN_TTL"}},
		{"TOKEN_TTL negative", []string{"TOKEN_TTL", "-1h"}, []string{"TOKEN_TTL"}},
		{"BCRYPT_COST low", []string{"BCRYPT_COST", "3"}, []string{"BCRYPT_COST"}},
		{"BCRYPT_COST high", []string{"BCRYPT_COST", "32"}, []string{"BCRYPT_COST"}},
		{"BCRYPT_COST word", []string{"BCRYPT_COST", "twelve"}, []string{"BCRYPT_COST"}},
		{"PASSWORD_POLICY unknown", []string{"PASSWORD_POLICY", "strict"}, []string{"PASSWORD_POLICY"}},
		{"DATABASE_DIRECT_URL alone", []string{"DATABASE_DIRECT_URL", "postgres://db/users"}, []string{"DATABASE_DIRECT_URL", "DATABASE_URL"}},
		{"DB_QUERY_EXEC_MODE unknown", []string{"DB_QUERY_EXEC_MODE", "prepared"}, []string{"DB_QUERY_EXEC_MODE", "cache_describe"}},
		{"OTLP endpoint not a URL", []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"}, []string{"OTEL_EXPORTER_OTLP_ENDPOINT"}},
		{"OTLP over gRPC", []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}, []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}},
		{"OTEL_TRACES_EXPORTER unknown", []string{"OTEL_TRACES_EXPORTER", "zipkin"}, []string{"OTEL_TRACES_EXPORTER"}},
		{"OTEL_SDK_DISABLED", []string{"OTEL_SDK_DISABLED", "yes"}, []string{"OTEL_SDK_DISABLED"}},
		{"PASSWORD_POLICY upper case", []string{"PASSWORD_POLICY", "Modern"}, []string{"PASSWORD_POLICY"}},
		{"USER_DIRECTORY unknown", []string{"USER_DIRECTORY", "public"}, []string{"USER_DIRECTORY", "public", "legacy or private"}},
		{"USER_DIRECTORY upper case", []string{"USER_DIRECTORY", "Private"}, []string{"USER_DIRECTORY"}},
		{"PLAYGROUND", []string{"PLAYGROUND", "maybe"}, []string{"PLAYGROUND"}},
		{"INTROSPECTION", []string{"INTROSPECTION", "yes please"}, []string{"INTROSPECTION"}},
		{"MAX_BODY_BYTES", []string{"MAX_BODY_BYTES", "10"}, []string{"MAX_BODY_BYTES"}},
		{"INFO_MAX_BYTES too small", []string{"INFO_MAX_BYTES", "100"}, []string{"INFO_MAX_BYTES"}},
		{"INFO_MAX_BYTES word", []string{"INFO_MAX_BYTES", "4KiB"}, []string{"INFO_MAX_BYTES"}},
		{"GRAPHQL_MAX_RESPONSE_BYTES too small", []string{"GRAPHQL_MAX_RESPONSE_BYTES", "1000"}, []string{"GRAPHQL_MAX_RESPONSE_BYTES"}},
		{"GRAPHQL_MAX_RESPONSE_BYTES too big", []string{"GRAPHQL_MAX_RESPONSE_BYTES", "4294967296"}, []string{"GRAPHQL_MAX_RESPONSE_BYTES"}},
		{"RATE_LIMIT_LOGIN", []string{"RATE_LIMIT_LOGIN", "lots"}, []string{"RATE_LIMIT_LOGIN"}},
		{"RATE_LIMIT_SIGNUP", []string{"RATE_LIMIT_SIGNUP", "10/100ms"}, []string{"RATE_LIMIT_SIGNUP"}},
		{"RATE_LIMIT_TOKEN", []string{"RATE_LIMIT_TOKEN", "-3/1m"}, []string{"RATE_LIMIT_TOKEN"}},
		{"RATE_LIMIT_MAX_KEYS too few", []string{"RATE_LIMIT_MAX_KEYS", "10"}, []string{"RATE_LIMIT_MAX_KEYS"}},
		{"RATE_LIMIT_MAX_KEYS word", []string{"RATE_LIMIT_MAX_KEYS", "many"}, []string{"RATE_LIMIT_MAX_KEYS"}},
		{"TRUSTED_PROXIES", []string{"TRUSTED_PROXIES", "11"}, []string{"TRUSTED_PROXIES"}},
		{"CORS wildcard", []string{"CORS_ALLOWED_ORIGINS", "*"}, []string{"CORS_ALLOWED_ORIGINS"}},
		{"CORS wildcard among origins", []string{"CORS_ALLOWED_ORIGINS", "https://a.example, *"}, []string{"CORS_ALLOWED_ORIGINS"}},
		{"DB_MAX_CONNS", []string{"DB_MAX_CONNS", "0"}, []string{"DB_MAX_CONNS"}},
		{"LOG_FORMAT", []string{"LOG_FORMAT", "xml"}, []string{"LOG_FORMAT"}},
		{"METRICS_ADDR", []string{"METRICS_ADDR", "9090"}, []string{"METRICS_ADDR"}},
		{"SHUTDOWN_TIMEOUT", []string{"SHUTDOWN_TIMEOUT", "soon"}, []string{"SHUTDOWN_TIMEOUT"}},
		{"live without SECRET_KEY and DATABASE_URL", []string{"APP_ENV", "live"}, []string{"SECRET_KEY", "DATABASE_URL"}},
		{"live without SECRET_KEY", live, []string{"SECRET_KEY"}},
		{"live without DATABASE_URL", []string{"APP_ENV", "live", "SECRET_KEY", fresh}, []string{"DATABASE_URL"}},
		{"live signing with the legacy key", append(live, "SECRET_KEY", LegacyKey), []string{"SECRET_KEY", "legacy"}},
		{"live signing with the legacy key, rotated", append(live, "SECRET_KEY", LegacyKey+","+fresh), []string{"SECRET_KEY", "legacy"}},
		// fernet.DecodeKey also reads hex and standard base64: the same key spelt
		// differently must not slip past the guard.
		{"live signing with the legacy key in hex", append(live, "SECRET_KEY", legacyKeyIn(t, "hex")), []string{"SECRET_KEY", "legacy"}},
		{"live signing with the legacy key in std base64", append(live, "SECRET_KEY", legacyKeyIn(t, "std")), []string{"SECRET_KEY", "legacy"}},
		{"LEGACY_COEXISTENCE word", []string{"LEGACY_COEXISTENCE", "canary", "SECRET_KEY", fresh + "," + LegacyKey}, []string{"LEGACY_COEXISTENCE"}},
		{"coexistence with the default key (legacy, signing)", []string{"LEGACY_COEXISTENCE", "true"}, []string{"LEGACY_COEXISTENCE", "SECRET_KEY=<a key of your own>,<the legacy key>"}},
		{"coexistence with the legacy key first", []string{"LEGACY_COEXISTENCE", "true", "SECRET_KEY", LegacyKey + "," + fresh}, []string{"LEGACY_COEXISTENCE", "must not sign"}},
		{"coexistence without the legacy key", []string{"LEGACY_COEXISTENCE", "true", "SECRET_KEY", fresh}, []string{"LEGACY_COEXISTENCE", "the legacy key"}},
		{"coexistence in live without the legacy key", append(live, "LEGACY_COEXISTENCE", "true", "SECRET_KEY", fresh), []string{"LEGACY_COEXISTENCE"}},
		{"several problems at once", []string{"PORT", "x", "BCRYPT_COST", "99", "LOG_FORMAT", "xml", "TOKEN_TTL", "1 day"},
			[]string{"PORT", "BCRYPT_COST", "LOG_FORMAT", "TOKEN_TTL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env...))
			if err == nil {
				t.Fatalf("Load accepted %q: %+v", tt.env, c)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not name %s", msg, w)
				}
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if !reflect.DeepEqual(c, Config{}) {
				t.Errorf("Load returned a config with its error: %+v", c)
			}
		})
	}
}

// Secrets never appear in an error message.
func TestLoadErrorHidesSecrets(t *testing.T) {
	const secret = "super-secret-not-a-fernet-key-value"
	_, err := Load(env("SECRET_KEY", secret))
	if err == nil {
		t.Fatal("bad SECRET_KEY accepted")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error quotes SECRET_KEY: %v", err)
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
