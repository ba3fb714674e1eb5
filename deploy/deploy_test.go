package deploy

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"users/internal/apptest"
	"users/internal/config"
	"users/internal/testdb"
)

// repoRoot is the repository's root: this package's parent folder.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goModule returns the module path and the major.minor Go version of go.mod.
func goModule(t *testing.T) (module, goVersion string) {
	t.Helper()
	for line := range strings.SplitSeq(string(readFile(t, "go.mod")), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "module":
			module = f[1]
		case len(f) == 2 && f[0] == "go":
			parts := strings.Split(f[1], ".")
			goVersion = strings.Join(parts[:min(2, len(parts))], ".")
		}
	}
	if module == "" || goVersion == "" {
		t.Fatal("go.mod: no module or go line")
	}
	return module, goVersion
}

// configVars returns the environment variables internal/config reads, by
// running config.Load with a getenv that records every name it is asked for.
func configVars(t *testing.T) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	_, _ = config.Load(func(name string) string { seen[name] = true; return "" })
	if !seen["APP_ENV"] || !seen["DATABASE_URL"] || !seen["SECRET_KEY"] {
		t.Fatalf("config.Load read only %v", seen)
	}
	return seen
}

// runtimeVars are read by the Go runtime, not by internal/config.
var runtimeVars = map[string]bool{"GOMEMLIMIT": true, "GOMAXPROCS": true, "GOGC": true, "GODEBUG": true}

// ---- Kubernetes ----------------------------------------------------------

const k8sDir = "deploy/kubernetes"

// strict decodes a manifest into the real Kubernetes API type: an unknown or
// misspelt field, or a value of the wrong type, fails (as kubectl's
// server-side validation would).
func strict[T any](t *testing.T, file string) *T {
	t.Helper()
	v := new(T)
	if err := yaml.UnmarshalStrict(readFile(t, filepath.Join(k8sDir, file)), v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

// manifests holds every manifest, decoded.
type manifests struct {
	deploy  *appsv1.Deployment
	service *corev1.Service
	hpa     *autoscalingv2.HorizontalPodAutoscaler
	pdb     *policyv1.PodDisruptionBudget
	secret  *corev1.Secret
	job     *batchv1.Job
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	return manifests{
		deploy:  strict[appsv1.Deployment](t, "deployment.yaml"),
		service: strict[corev1.Service](t, "service.yaml"),
		hpa:     strict[autoscalingv2.HorizontalPodAutoscaler](t, "hpa.yaml"),
		pdb:     strict[policyv1.PodDisruptionBudget](t, "pdb.yaml"),
		secret:  strict[corev1.Secret](t, "secret.example.yaml"),
		job:     strict[batchv1.Job](t, "migrate-job.yaml"),
	}
}

// TestKubernetesManifests: every file under deploy/kubernetes is a known
// object that decodes strictly, with the apiVersion and kind of its type, and
// the kustomization lists the objects to apply, without the example Secret.
func TestKubernetesManifests(t *testing.T) {
	want := map[string][2]string{ // file: apiVersion, kind
		"deployment.yaml":     {"apps/v1", "Deployment"},
		"service.yaml":        {"v1", "Service"},
		"hpa.yaml":            {"autoscaling/v2", "HorizontalPodAutoscaler"},
		"pdb.yaml":            {"policy/v1", "PodDisruptionBudget"},
		"secret.example.yaml": {"v1", "Secret"},
		"migrate-job.yaml":    {"batch/v1", "Job"},
		"kustomization.yaml":  {"kustomize.config.k8s.io/v1beta1", "Kustomization"},
	}
	files, err := filepath.Glob(filepath.Join(repoRoot(t), k8sDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: not checked by this test: add it", name)
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(readFile(t, filepath.Join(k8sDir, name)), &head); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if head.APIVersion != w[0] || head.Kind != w[1] {
			t.Errorf("%s: %s %s, want %s %s", name, head.APIVersion, head.Kind, w[0], w[1])
		}
		if head.Kind != "Kustomization" && head.Metadata.Name == "" {
			t.Errorf("%s: no metadata.name", name)
		}
	}
	loadManifests(t) // strict decoding of each object

	var kust struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	if err := yaml.UnmarshalStrict(readFile(t, filepath.Join(k8sDir, "kustomization.yaml")), &kust); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	for _, r := range kust.Resources {
		if _, err := os.Stat(filepath.Join(repoRoot(t), k8sDir, r)); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", r, err)
		}
	}
	for _, r := range []string{"deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml"} {
		if !slices.Contains(kust.Resources, r) {
			t.Errorf("kustomization.yaml does not list %s", r)
		}
	}
	if slices.Contains(kust.Resources, "secret.example.yaml") {
		t.Error("kustomization.yaml applies the example Secret and its placeholders")
	}
}

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

// TestServiceHPAPDB checks that the Service, the HPA and the PDB point at the
// Deployment's pods.
func TestServiceHPAPDB(t *testing.T) {
	m := loadManifests(t)
	d := m.deploy
	c := container(t, d.Spec.Template.Spec)
	podLabels := d.Spec.Template.Labels

	selects := func(sel map[string]string, labels map[string]string) bool {
		if len(sel) == 0 {
			return false
		}
		for k, v := range sel {
			if labels[k] != v {
				return false
			}
		}
		return true
	}

	// Service -> the pods, on the http port.
	if !selects(m.service.Spec.Selector, podLabels) {
		t.Errorf("Service selector %v does not select the pods %v", m.service.Spec.Selector, podLabels)
	}
	if selects(m.service.Spec.Selector, m.job.Spec.Template.Labels) {
		t.Errorf("Service selector %v also selects the migration Job's pods", m.service.Spec.Selector)
	}
	if len(m.service.Spec.Ports) != 1 || portOf(c, m.service.Spec.Ports[0].TargetPort) != 5000 {
		t.Errorf("Service ports %+v: want one port to the container's http port", m.service.Spec.Ports)
	}

	// HPA -> the Deployment, on CPU, never below the Deployment's replicas.
	ref := m.hpa.Spec.ScaleTargetRef
	if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != d.Name {
		t.Errorf("HPA targets %s %s %s, want apps/v1 Deployment %s", ref.APIVersion, ref.Kind, ref.Name, d.Name)
	}
	if m.hpa.Spec.MinReplicas == nil || *m.hpa.Spec.MinReplicas < 2 || *m.hpa.Spec.MinReplicas != *d.Spec.Replicas ||
		m.hpa.Spec.MaxReplicas < *m.hpa.Spec.MinReplicas {
		t.Errorf("HPA replicas %v..%d: want min >= 2, equal to the Deployment's %d, max >= min", m.hpa.Spec.MinReplicas, m.hpa.Spec.MaxReplicas, *d.Spec.Replicas)
	}
	cpu := false
	for _, mt := range m.hpa.Spec.Metrics {
		if mt.Type == autoscalingv2.ResourceMetricSourceType && mt.Resource != nil && mt.Resource.Name == corev1.ResourceCPU &&
			mt.Resource.Target.Type == autoscalingv2.UtilizationMetricType && mt.Resource.Target.AverageUtilization != nil {
			cpu = true
		}
	}
	if !cpu {
		t.Error("HPA has no CPU utilization target")
	}
	if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
		t.Error("CPU utilization needs a CPU request on the container")
	}

	// PDB -> the same pods; always leaves replicas running.
	if m.pdb.Spec.Selector == nil || !selects(m.pdb.Spec.Selector.MatchLabels, podLabels) ||
		fmt.Sprint(m.pdb.Spec.Selector.MatchLabels) != fmt.Sprint(d.Spec.Selector.MatchLabels) {
		t.Errorf("PDB selector %v, want the Deployment's %v", m.pdb.Spec.Selector, d.Spec.Selector.MatchLabels)
	}
	switch {
	case m.pdb.Spec.MaxUnavailable != nil:
		if v := m.pdb.Spec.MaxUnavailable.IntValue(); v < 1 || int32(v) >= *m.hpa.Spec.MinReplicas {
			t.Errorf("PDB maxUnavailable %d: want 1..%d", v, *m.hpa.Spec.MinReplicas-1)
		}
	case m.pdb.Spec.MinAvailable != nil:
		if v := m.pdb.Spec.MinAvailable.IntValue(); v < 1 || int32(v) >= *m.hpa.Spec.MinReplicas {
			t.Errorf("PDB minAvailable %d: a drain could never proceed", v)
		}
	default:
		t.Error("PDB sets neither maxUnavailable nor minAvailable")
	}
}

// TestSecretExample: the example Secret holds every key the manifests read,
// only placeholders, and its placeholder key is refused by the service (so a
// Secret applied unedited stops the rollout instead of signing tokens).
func TestSecretExample(t *testing.T) {
	m := loadManifests(t)
	raw := string(readFile(t, filepath.Join(k8sDir, "secret.example.yaml")))
	if !strings.Contains(raw, "EXAMPLE ONLY") {
		t.Error("secret.example.yaml does not say it is an example")
	}
	for _, c := range []corev1.Container{container(t, m.deploy.Spec.Template.Spec), container(t, m.job.Spec.Template.Spec)} {
		for _, e := range c.Env {
			ref := e.ValueFrom
			if ref == nil || ref.SecretKeyRef == nil || (ref.SecretKeyRef.Optional != nil && *ref.SecretKeyRef.Optional) {
				continue
			}
			if _, ok := m.secret.StringData[ref.SecretKeyRef.Key]; !ok {
				t.Errorf("%s reads %s from the Secret, which the example does not show", c.Name, ref.SecretKeyRef.Key)
			}
		}
	}
	for k, v := range m.secret.StringData {
		if !strings.Contains(v, "PLACEHOLDER") {
			t.Errorf("example Secret %s = %q is not marked PLACEHOLDER", k, v)
		}
	}
	env := map[string]string{"APP_ENV": "live", "DATABASE_URL": m.secret.StringData["DATABASE_URL"], "SECRET_KEY": m.secret.StringData["SECRET_KEY"]}
	if _, err := config.Load(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "SECRET_KEY") {
		t.Errorf("the placeholder SECRET_KEY is accepted: %v", err)
	}
}

// TestMigrateJob: the optional Job runs `server migrate` from the
// Deployment's image, with the same secrets, as locked down as the server.
func TestMigrateJob(t *testing.T) {
	m := loadManifests(t)
	job := m.job.Spec.Template.Spec
	c := container(t, job)
	if c.Image != container(t, m.deploy.Spec.Template.Spec).Image {
		t.Errorf("Job image %s differs from the Deployment's", c.Image)
	}
	if !slices.Equal(c.Args, []string{"migrate"}) || len(c.Command) != 0 {
		t.Errorf("Job runs command %v args %v, want the image's entrypoint with args [migrate]", c.Command, c.Args)
	}
	if job.RestartPolicy != corev1.RestartPolicyNever && job.RestartPolicy != corev1.RestartPolicyOnFailure {
		t.Errorf("Job restartPolicy %q", job.RestartPolicy)
	}
	checkContainerSecurity(t, "job", job, c)
	known := configVars(t)
	for _, e := range c.Env {
		if !known[e.Name] {
			t.Errorf("Job env %s: internal/config does not read it", e.Name)
		}
	}
	env := podEnv(t, c, map[string]string{"DATABASE_URL": "postgres://u:p@db:5432/users", "SECRET_KEY": apptest.NewKey(t)})
	if _, err := config.Load(func(k string) string { return env[k] }); err != nil {
		t.Errorf("the Job's environment does not load: %v", err)
	}
}

// ---- Heroku --------------------------------------------------------------

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

// ---- Docker --------------------------------------------------------------

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

func dockerfile(t *testing.T) [][]instruction {
	t.Helper()
	var stages [][]instruction
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %s before FROM", in.cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	for line := range strings.SplitSeq(string(readFile(t, "Dockerfile")), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

func find(stage []instruction, cmd string) []instruction {
	var out []instruction
	for _, in := range stage {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// dockerBuild returns the Go build command of the Dockerfile's build stage
// and the path it writes the binary to.
func dockerBuild(t *testing.T, stages [][]instruction) (cmd, out string) {
	t.Helper()
	for _, in := range find(stages[0], "RUN") {
		if i := strings.Index(in.args, "go build"); i >= 0 {
			cmd = in.args
			for strings.HasPrefix(cmd, "--") { // RUN --mount=... flags
				_, cmd, _ = strings.Cut(cmd, " ")
			}
			m := regexp.MustCompile(`\s-o\s+(\S+)`).FindStringSubmatch(cmd)
			if m == nil {
				t.Fatalf("Dockerfile: go build without -o: %s", cmd)
			}
			return cmd, m[1]
		}
	}
	t.Fatal("Dockerfile: the first stage has no RUN ... go build")
	return "", ""
}

// TestDockerfile checks the Dockerfile's two stages: a golang build stage
// matching go.mod's Go that builds a static, stripped binary, and a
// distroless (or scratch) stage running that binary as a numeric non-root
// user on port 5000.
func TestDockerfile(t *testing.T) {
	_, goVersion := goModule(t)
	stages := dockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stage(s), want a build stage and a run stage", len(stages))
	}
	from := strings.Fields(stages[0][0].args)
	if len(from) != 3 || !strings.HasPrefix(from[0], "golang:"+goVersion) || !strings.EqualFold(from[1], "AS") {
		t.Errorf("build stage FROM %v, want golang:%s AS <name> (go.mod's Go)", from, goVersion)
	}
	buildStage := from[len(from)-1]
	cmd, out := dockerBuild(t, stages)
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags="-s -w"`} {
		if !strings.Contains(cmd, want) {
			t.Errorf("build command %q lacks %s", cmd, want)
		}
	}

	final := stages[len(stages)-1]
	base := strings.Fields(final[0].args)[0]
	switch {
	case strings.HasPrefix(base, "gcr.io/distroless/static") && strings.Contains(base, "nonroot"):
	case base == "scratch":
		certs := false
		for _, in := range find(final, "COPY") {
			certs = certs || strings.Contains(in.args, "ca-certificates")
		}
		if !certs {
			t.Error("a scratch image needs the CA certificates copied in")
		}
	default:
		t.Errorf("run stage FROM %s: want distroless static (nonroot) or scratch", base)
	}
	users := find(final, "USER")
	if len(users) == 0 {
		t.Fatal("run stage has no USER: it would run as root")
	}
	user := users[len(users)-1].args
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %s: want a numeric non-zero uid (runAsNonRoot can only check a number)", user)
	} else if d := loadManifests(t).deploy.Spec.Template.Spec.SecurityContext; d.RunAsUser == nil || *d.RunAsUser != int64(n) {
		t.Errorf("USER %d, but the Deployment runs as %v", n, d.RunAsUser)
	}
	if e := find(final, "EXPOSE"); len(e) != 1 || e[0].args != "5000" {
		t.Errorf("EXPOSE %v, want 5000", e)
	}
	entry := find(final, "ENTRYPOINT")
	if len(entry) != 1 {
		t.Fatalf("run stage ENTRYPOINT: %v", entry)
	}
	var argv []string
	if err := json.Unmarshal([]byte(entry[0].args), &argv); err != nil || len(argv) != 1 {
		t.Fatalf("ENTRYPOINT %s: want the exec form with the binary alone", entry[0].args)
	}
	copied := false
	for _, in := range find(final, "COPY") {
		f := strings.Fields(in.args)
		if len(f) == 3 && f[0] == "--from="+buildStage && f[1] == out && f[2] == argv[0] {
			copied = true
		}
	}
	if !copied {
		t.Errorf("run stage does not COPY --from=%s %s %s", buildStage, out, argv[0])
	}
	for _, in := range find(final, "ENV") {
		if strings.Contains(in.args, "SECRET_KEY") || strings.Contains(in.args, "DATABASE_URL") {
			t.Errorf("secrets baked into the image: ENV %s", in.args)
		}
	}
}

// TestDockerignore: the build context leaves out VCS data and build output,
// and keeps what the build needs.
func TestDockerignore(t *testing.T) {
	var patterns []string
	for line := range strings.SplitSeq(string(readFile(t, ".dockerignore")), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.TrimPrefix(line, "/"))
		}
	}
	ignored := func(p string) bool {
		out := false
		for _, pat := range patterns {
			neg := strings.HasPrefix(pat, "!")
			pat = strings.TrimPrefix(pat, "!")
			// The pattern matches the path or one of its parent folders;
			// "**/" matches any number of folders.
			for dir := p; dir != "." && dir != "/"; dir = filepath.Dir(dir) {
				m, _ := filepath.Match(pat, dir)
				if rest, ok := strings.CutPrefix(pat, "**/"); ok && !m {
					m, _ = filepath.Match(rest, filepath.Base(dir))
				}
				if m {
					out = !neg
					break
				}
			}
		}
		return out
	}
	for _, p := range []string{".git/HEAD", "bin/server", "test-artifacts/playground.png", "e2e/e2e.test"} {
		if !ignored(p) {
			t.Errorf(".dockerignore keeps %s in the build context", p)
		}
	}
	needed := []string{"go.mod", "go.sum", "server.go", "bin/run.sh"}
	for _, glob := range []string{"*.go", "db/schema/*.sql", "internal/playground/assets/*", "graph/*.graphqls", "internal/*/*.go"} {
		m, _ := filepath.Glob(filepath.Join(repoRoot(t), glob))
		for _, f := range m {
			rel, _ := filepath.Rel(repoRoot(t), f)
			needed = append(needed, rel)
		}
	}
	for _, p := range needed {
		if ignored(p) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", p)
		}
	}
}

// TestStaticBinary runs the Dockerfile's own build command (no Docker
// engine here, so the same command on this machine) and checks the result: a
// static ELF (no interpreter, no dynamic section, so it runs on distroless
// static or scratch), stripped (-s -w), without local paths (-trimpath).
// Then it runs the subcommands the deployment files use: genkey, and migrate
// on an empty database in live mode, as Heroku's release phase and the
// migration Job do.
func TestStaticBinary(t *testing.T) {
	t.Parallel()
	stages := dockerfile(t)
	cmd, out := dockerBuild(t, stages)
	bin := filepath.Join(t.TempDir(), "server")
	cmd = strings.Replace(cmd, "-o "+out, "-o "+bin, 1)
	build := exec.Command("sh", "-c", cmd)
	build.Dir = repoRoot(t)
	build.Env = append(os.Environ(), "GOFLAGS=") // exactly the Dockerfile's flags
	if o, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, o)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary has a %s program header: dynamically linked", p.Type)
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		t.Error("binary has a .dynamic section")
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs shared libraries %v", libs)
	}
	for _, s := range f.Sections {
		if s.Name == ".symtab" || strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			t.Errorf("binary keeps section %s: not built with -ldflags=\"-s -w\"", s.Name)
		}
	}
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(repoRoot(t))) {
		t.Errorf("binary contains the build folder %s: not built with -trimpath", repoRoot(t))
	}
	if fileCmd, err := exec.LookPath("file"); err == nil { // what an operator would run
		o, _ := exec.Command(fileCmd, bin).Output()
		t.Logf("file: %s", bytes.TrimSpace(o))
		if !bytes.Contains(o, []byte("statically linked")) {
			t.Errorf("file(1) does not call it statically linked: %s", o)
		}
	}

	// genkey prints a key that SECRET_KEY accepts.
	key, err := exec.Command(bin, "genkey").Output()
	if err != nil {
		t.Fatalf("server genkey: %v", err)
	}
	if _, err := fernet.DecodeKey(strings.TrimSpace(string(key))); err != nil {
		t.Errorf("server genkey printed %q: %v", key, err)
	}

	// migrate on an empty database, in live: the release phase.
	mig := exec.Command(bin, "migrate")
	mig.Env = runEnv("APP_ENV=live", "DATABASE_URL="+testdb.Empty(t), "SECRET_KEY="+strings.TrimSpace(string(key)))
	o, err := mig.CombinedOutput()
	if err != nil || !bytes.Contains(o, []byte(`"msg":"migrated"`)) {
		t.Errorf("server migrate: %v\n%s", err, o)
	}
}
