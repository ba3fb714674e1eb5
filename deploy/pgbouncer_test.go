package deploy

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"users/internal/apptest"
	"users/internal/config"
)

const pgbouncerDir = k8sDir + "/pgbouncer"

// iniSettings reads the [pgbouncer] section of a pgbouncer.ini.
func iniSettings(ini string) map[string]string {
	out := map[string]string{}
	section := ""
	for line := range strings.Lines(ini) {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		case section == "pgbouncer":
			k, v, _ := strings.Cut(line, "=")
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// TestPgBouncerManifests: the optional PgBouncer decodes strictly into the
// Kubernetes types, pools in transaction mode with the bounds the fault tests
// (internal/faults) rely on, reads the files its volumes mount, listens where
// its Service sends, and runs as locked down as the service.
func TestPgBouncerManifests(t *testing.T) {
	strictIn := func(file string, v any) {
		t.Helper()
		if err := yaml.UnmarshalStrict(readFile(t, filepath.Join(pgbouncerDir, file)), v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	var (
		cm   corev1.ConfigMap
		d    appsv1.Deployment
		svc  corev1.Service
		kust struct {
			APIVersion string   `json:"apiVersion"`
			Kind       string   `json:"kind"`
			Resources  []string `json:"resources"`
		}
	)
	strictIn("configmap.yaml", &cm)
	strictIn("deployment.yaml", &d)
	strictIn("service.yaml", &svc)
	strictIn("kustomization.yaml", &kust)
	if strings.Join(kust.Resources, ",") != "configmap.yaml,deployment.yaml,service.yaml" {
		t.Errorf("kustomization resources = %v", kust.Resources)
	}
	files, _ := filepath.Glob(filepath.Join(repoRoot(t), pgbouncerDir, "*.yaml"))
	if len(files) != 4 {
		t.Errorf("%d files in %s, this test checks 4: add the new one", len(files), pgbouncerDir)
	}

	ini := iniSettings(cm.Data["pgbouncer.ini"])
	for key, want := range map[string]string{"pool_mode": "transaction", "auth_type": "scram-sha-256", "unix_socket_dir": ""} {
		if got, ok := ini[key]; !ok || got != want {
			t.Errorf("pgbouncer.ini %s = %q, want %q", key, got, want)
		}
	}
	bounded := func(key string, lo, hi int) {
		n, err := strconv.Atoi(ini[key])
		if err != nil || n < lo || n > hi {
			t.Errorf("pgbouncer.ini %s = %q, want %d to %d", key, ini[key], lo, hi)
		}
	}
	bounded("query_wait_timeout", 1, 15) // a database outage answers in seconds, not PgBouncer's default 120
	bounded("server_login_retry", 1, 2)  // back within seconds of PostgreSQL, not the default 15
	bounded("default_pool_size", 1, 90)  // under PostgreSQL's max_connections, with the LISTEN connections beside

	c := container(t, d.Spec.Template.Spec)
	checkContainerSecurity(t, "pgbouncer", d.Spec.Template.Spec, c)
	if len(c.Command) != 2 || c.Command[0] != "pgbouncer" {
		t.Fatalf("command = %v", c.Command)
	}
	mounted := func(file string) bool {
		for _, m := range c.VolumeMounts {
			if filepath.Dir(file) == m.MountPath {
				return true
			}
		}
		return false
	}
	if !mounted(c.Command[1]) || !mounted(ini["auth_file"]) {
		t.Errorf("pgbouncer.ini at %s or auth_file at %s is not where a volume is mounted (%+v)", c.Command[1], ini["auth_file"], c.VolumeMounts)
	}
	port := portOf(c, svc.Spec.Ports[0].TargetPort)
	if strconv.Itoa(int(port)) != ini["listen_port"] {
		t.Errorf("the Service sends to %d, PgBouncer listens on %s", port, ini["listen_port"])
	}
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("the Service's selector %s=%s does not match the pods", k, v)
		}
	}

	// The users Deployment behind it: DATABASE_URL the pooler's, the direct
	// URL beside it, and the service accepts that in live.
	users := loadManifests(t).deploy
	env := podEnv(t, container(t, users.Spec.Template.Spec), map[string]string{
		"DATABASE_URL":        "postgres://users:secret@" + svc.Name + ":" + ini["listen_port"] + "/users",
		"DATABASE_DIRECT_URL": "postgres://users:secret@db.internal:5432/users?sslmode=require",
		"SECRET_KEY":          apptest.NewKey(t),
	})
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the Deployment's environment behind PgBouncer does not load: %v", err)
	}
	if cfg.DatabaseDirectURL == "" {
		t.Error("the Deployment does not pass DATABASE_DIRECT_URL on")
	}
}
