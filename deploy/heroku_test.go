package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"users/internal/apptest"
	"users/internal/config"
)

// procfile returns the Procfile's process types and commands.
func procfile(t *testing.T) map[string]string {
	t.Helper()
	procs := map[string]string{}
	re := regexp.MustCompile(`^([A-Za-z0-9_-]+):\s*(.+)$`)
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "Procfile")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := re.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("Procfile: %q is not `type: command`", line)
		}
		if _, dup := procs[m[1]]; dup {
			t.Fatalf("Procfile: %s twice", m[1])
		}
		procs[m[1]] = m[2]
	}
	return procs
}

// herokuBinary is where Heroku's Go buildpack puts the server: it runs
// `go install` on the module's main package, which names the binary after
// the last element of its import path (the module path, here).
func herokuBinary(t *testing.T) string {
	module, _ := goModule(t)
	return "bin/" + path.Base(module)
}

// TestProcfile: web runs the server, release applies the migrations, both
// with the binary the Go buildpack builds.
func TestProcfile(t *testing.T) {
	procs := procfile(t)
	bin := herokuBinary(t)
	if got := procs["web"]; got != bin {
		t.Errorf("Procfile web: %q, want %q (serve is the default subcommand)", got, bin)
	}
	if got := procs["release"]; got != bin+" migrate" {
		t.Errorf("Procfile release: %q, want %q", got, bin+" migrate")
	}
	for typ := range procs {
		if typ != "web" && typ != "release" {
			t.Errorf("Procfile: unexpected process type %s", typ)
		}
	}
}

type appJSON struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Keywords    []string `json:"keywords"`
	Stack       string   `json:"stack"`
	Buildpacks  []struct {
		URL string `json:"url"`
	} `json:"buildpacks"`
	Formation map[string]struct {
		Quantity int    `json:"quantity"`
		Size     string `json:"size,omitempty"`
	} `json:"formation"`
	Addons []struct {
		Plan string `json:"plan"`
		As   string `json:"as,omitempty"`
	} `json:"addons"`
	Env map[string]struct {
		Description string `json:"description"`
		Value       string `json:"value,omitempty"`
		Required    *bool  `json:"required,omitempty"`
		Generator   string `json:"generator,omitempty"`
	} `json:"env"`
	Scripts map[string]string `json:"scripts,omitempty"`
}

// TestAppJSON: app.json uses the Go buildpack and Heroku Postgres, sets live,
// asks for SECRET_KEY (a Fernet key, which Heroku's secret generator does not
// make), names only variables the service reads, and together with the two
// secrets gives a configuration the service accepts.
func TestAppJSON(t *testing.T) {
	dec := json.NewDecoder(bytes.NewReader(readFile(t, "app.json")))
	dec.DisallowUnknownFields()
	var app appJSON
	if err := dec.Decode(&app); err != nil {
		t.Fatalf("app.json: %v", err)
	}
	if len(app.Buildpacks) != 1 || app.Buildpacks[0].URL != "heroku/go" {
		t.Errorf("buildpacks %+v, want heroku/go", app.Buildpacks)
	}
	if len(app.Addons) != 1 || !strings.HasPrefix(app.Addons[0].Plan, "heroku-postgresql") {
		t.Errorf("addons %+v, want heroku-postgresql (it sets DATABASE_URL)", app.Addons)
	}
	if _, ok := app.Formation["web"]; !ok {
		t.Error("formation has no web")
	}
	for typ := range app.Formation {
		if _, ok := procfile(t)[typ]; !ok {
			t.Errorf("formation %s is not a Procfile process type", typ)
		}
	}

	known := configVars(t)
	env := map[string]string{}
	for name, v := range app.Env {
		if !known[name] {
			t.Errorf("env %s: internal/config does not read it", name)
		}
		env[name] = v.Value
	}
	if env["APP_ENV"] != "live" {
		t.Errorf("APP_ENV = %q, want live", env["APP_ENV"])
	}
	sk := app.Env["SECRET_KEY"]
	if sk.Value != "" || sk.Generator != "" || sk.Required == nil || !*sk.Required || !strings.Contains(sk.Description, "genkey") {
		t.Errorf("SECRET_KEY must be required, with no value or generator, and say how to make one (genkey): %+v", sk)
	}
	if env["TRUSTED_PROXIES"] != "1" {
		t.Errorf("TRUSTED_PROXIES = %q, want 1 (Heroku's router)", env["TRUSTED_PROXIES"])
	}

	// What Heroku adds: DATABASE_URL from the add-on, PORT from the router,
	// SECRET_KEY from the person deploying.
	env["DATABASE_URL"] = "postgres://u:p@ec2-0-0-0-0.compute-1.amazonaws.com:5432/d1"
	env["PORT"] = "31337"
	env["SECRET_KEY"] = apptest.NewKey(t)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("app.json's environment does not load: %v", err)
	}
	if !cfg.Live() || cfg.Port != 31337 {
		t.Errorf("config: env %s port %d, want live on $PORT", cfg.Env, cfg.Port)
	}
	if cfg.ShutdownTimeout >= 30*time.Second {
		t.Errorf("SHUTDOWN_TIMEOUT %s: Heroku sends SIGKILL 30 s after SIGTERM", cfg.ShutdownTimeout)
	}
}
