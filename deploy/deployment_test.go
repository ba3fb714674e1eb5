package deploy

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"users/internal/apptest"
	"users/internal/config"
)

// container returns the one container of a pod spec.
func container(t *testing.T, spec corev1.PodSpec) corev1.Container {
	t.Helper()
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(spec.Containers))
	}
	return spec.Containers[0]
}

// portOf resolves a probe's or a Service's port (a name or a number) against
// the container's ports.
func portOf(c corev1.Container, p intstr.IntOrString) int32 {
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	return -1
}

// podEnv turns a container's env into what the server would see: literal
// values as they are, secretKeyRefs from secrets (key: value).
func podEnv(t *testing.T, c corev1.Container, secrets map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			if v, ok := secrets[e.ValueFrom.SecretKeyRef.Key]; ok {
				env[e.Name] = v
			} else if e.ValueFrom.SecretKeyRef.Optional == nil || !*e.ValueFrom.SecretKeyRef.Optional {
				t.Errorf("env %s: secret key %s is not in the Secret", e.Name, e.ValueFrom.SecretKeyRef.Key)
			}
		default:
			t.Errorf("env %s: unexpected valueFrom %+v", e.Name, e.ValueFrom)
		}
	}
	return env
}

func checkContainerSecurity(t *testing.T, what string, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: pod securityContext must set runAsNonRoot: true and a non-zero runAsUser: %+v", what, psc)
	}
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Fatalf("%s: container has no securityContext", what)
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
		t.Errorf("%s: container runAsNonRoot is not true", what)
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("%s: allowPrivilegeEscalation is not false", what)
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("%s: readOnlyRootFilesystem is not true", what)
	case sc.Privileged != nil && *sc.Privileged:
		t.Errorf("%s: privileged", what)
	case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL"):
		t.Errorf("%s: capabilities do not drop ALL", what)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: the service needs no Kubernetes API token: automountServiceAccountToken: false", what)
	}
}

// TestDeployment checks the Deployment's invariants: replicas, probes on the
// right paths and port, non-root and read-only, resources, secrets from the
// Secret, every env name one the service reads, a configuration the service
// accepts in live, and a grace period longer than preStop + SHUTDOWN_TIMEOUT.
func TestDeployment(t *testing.T) {
	m := loadManifests(t)
	d := m.deploy
	pod := d.Spec.Template.Spec
	c := container(t, pod)

	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("replicas = %v, want at least 2", d.Spec.Replicas)
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod template's labels %v", k, v, d.Spec.Template.Labels)
		}
	}
	if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable == nil ||
		d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Error("rolling update must keep every replica until its replacement is ready (maxUnavailable: 0)")
	}

	// The port: the service's default (5000, as legacy), set explicitly.
	http := intstr.FromString("http")
	port := portOf(c, http)
	if port != 5000 {
		t.Errorf("container port http = %d, want 5000", port)
	}

	// Probes: /healthz (no database) for startup and liveness, /readyz for readiness.
	for name, p := range map[string]struct {
		probe *corev1.Probe
		path  string
	}{
		"startupProbe":   {c.StartupProbe, "/healthz"},
		"livenessProbe":  {c.LivenessProbe, "/healthz"},
		"readinessProbe": {c.ReadinessProbe, "/readyz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s: missing or not httpGet", name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || portOf(c, p.probe.HTTPGet.Port) != port {
			t.Errorf("%s: GET %s on port %d, want %s on %d", name, p.probe.HTTPGet.Path, portOf(c, p.probe.HTTPGet.Port), p.path, port)
		}
	}
	if sp := c.StartupProbe; sp != nil && int(sp.PeriodSeconds)*int(sp.FailureThreshold) < 60 {
		t.Errorf("startupProbe allows %ds: migrations may take longer than a minute", sp.PeriodSeconds*sp.FailureThreshold)
	}

	checkContainerSecurity(t, "deployment", pod, c)

	// Resources: requests and limits for CPU and memory.
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		if !okReq || !okLim {
			t.Errorf("resources: %s needs a request and a limit", r)
			continue
		}
		if req.Cmp(lim) > 0 {
			t.Errorf("resources: %s request %s above limit %s", r, req.String(), lim.String())
		}
	}

	// Secrets come from the Secret, never literal; everything else is known.
	known := configVars(t)
	fromSecret := map[string]bool{}
	for _, e := range c.Env {
		if !known[e.Name] && !runtimeVars[e.Name] {
			t.Errorf("env %s: internal/config does not read it", e.Name)
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			if e.ValueFrom.SecretKeyRef.Name != m.secret.Name {
				t.Errorf("env %s: from Secret %q, want %q", e.Name, e.ValueFrom.SecretKeyRef.Name, m.secret.Name)
			}
			fromSecret[e.Name] = true
		}
	}
	for _, name := range []string{"SECRET_KEY", "DATABASE_URL"} {
		if !fromSecret[name] {
			t.Errorf("env %s must come from the Secret", name)
		}
	}

	// With real secrets in place, the service accepts this configuration in live.
	env := podEnv(t, c, map[string]string{
		"DATABASE_URL": "postgres://users:secret@db.internal:5432/users?sslmode=require",
		"SECRET_KEY":   apptest.NewKey(t),
	})
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the Deployment's environment does not load: %v", err)
	}
	if !cfg.Live() || cfg.Port != int(port) || cfg.Playground || cfg.Introspection {
		t.Errorf("config: env %q port %d playground %v introspection %v; want live on %d, playground and introspection off",
			cfg.Env, cfg.Port, cfg.Playground, cfg.Introspection, port)
	}

	// Stop: preStop sleep, then SIGTERM and SHUTDOWN_TIMEOUT, all inside the grace period.
	var preStop time.Duration
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Error("no preStop sleep: the load balancer would still send requests to a stopping pod")
	} else {
		preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	if pod.TerminationGracePeriodSeconds == nil {
		t.Fatal("no terminationGracePeriodSeconds")
	}
	grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	if preStop+cfg.ShutdownTimeout+5*time.Second > grace {
		t.Errorf("terminationGracePeriodSeconds %s leaves no margin after preStop %s + SHUTDOWN_TIMEOUT %s", grace, preStop, cfg.ShutdownTimeout)
	}

	// Pool size x the most replicas the HPA makes fits PostgreSQL's default max_connections.
	if total := cfg.DBMaxConns * int(m.hpa.Spec.MaxReplicas); total > 100 {
		t.Errorf("DB_MAX_CONNS %d x maxReplicas %d = %d connections, over PostgreSQL's default 100", cfg.DBMaxConns, m.hpa.Spec.MaxReplicas, total)
	}
	// GOMEMLIMIT sits under the memory limit.
	if v, ok := env["GOMEMLIMIT"]; ok {
		q, err := resource.ParseQuantity(strings.TrimSuffix(v, "B"))
		lim := c.Resources.Limits[corev1.ResourceMemory]
		if err != nil || q.Cmp(lim) >= 0 {
			t.Errorf("GOMEMLIMIT %s (%v) must be below the memory limit %s", v, err, lim.String())
		}
	}
	// Metrics: on their own port, announced to Prometheus, not behind the Service.
	if cfg.MetricsAddr != "" && cfg.MetricsAddr != "off" {
		_, mp, _ := strings.Cut(cfg.MetricsAddr, ":")
		if strconv.Itoa(int(portOf(c, intstr.FromString("metrics")))) != mp || d.Spec.Template.Annotations["prometheus.io/port"] != mp {
			t.Errorf("METRICS_ADDR %s: no container port named metrics and prometheus.io/port annotation with that port", cfg.MetricsAddr)
		}
	}
}
