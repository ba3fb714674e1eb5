package config

import (
	"reflect"
	"strings"
	"testing"
)

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
