package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"users/internal/apptest"
	"users/internal/config"
)

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
