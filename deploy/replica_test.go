package deploy

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"users/internal/apptest"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

// replica is the server binary running as a child process, configured as
// deploy/kubernetes/deployment.yaml configures a pod.
type replica struct {
	url string
	cmd *exec.Cmd
}

// deployment returns the memory limit of the pod in
// deploy/kubernetes/deployment.yaml and the literal environment it gives the
// server (values from secrets are left out).
func deployment(t *testing.T) (memLimit int64, env map[string]string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), k8sDir, "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var d appsv1.Deployment
	if err := yaml.Unmarshal(b, &d); err != nil {
		t.Fatalf("deployment.yaml: %v", err)
	}
	if len(d.Spec.Template.Spec.Containers) == 0 {
		t.Fatal("deployment.yaml: no container")
	}
	c := d.Spec.Template.Spec.Containers[0]
	memLimit = c.Resources.Limits.Memory().Value()
	if memLimit == 0 {
		t.Fatal("deployment.yaml: no memory limit")
	}
	env = map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	return memLimit, env
}

// startReplica builds the server as the README does (go build), starts it
// with env on a free port and waits until /readyz answers 200. It is stopped
// (SIGTERM) when the test ends.
func startReplica(t *testing.T, env map[string]string) *replica {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env["PORT"] = "0"
	cmd := exec.Command(bin)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := apptest.StartProcess(t, cmd)
	r := &replica{url: p.WaitListening(t, 30*time.Second), cmd: cmd}
	apptest.Eventually(t, 30*time.Second, "/readyz answers 200", func() bool {
		resp, err := http.Get(r.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return r
}

// peakRSS returns the child's peak resident set size (VmHWM), in bytes.
func (r *replica) peakRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(r.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// resetPeak starts a new peak RSS measurement (Linux: clear_refs 5), and
// reports whether it could.
func (r *replica) resetPeak() bool {
	return os.WriteFile("/proc/"+strconv.Itoa(r.cmd.Process.Pid)+"/clear_refs", []byte("5"), 0) == nil
}

var replicaClient = &http.Client{Timeout: time.Minute}

// do sends a request and returns the status and the body.
func (r *replica) do(t *testing.T, method, path string, h http.Header, body string) (int, []byte) {
	t.Helper()
	status, b, err := r.send(t.Context(), method, path, h, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return status, b
}

// send is do for other goroutines than the test's.
func (r *replica) send(ctx context.Context, method, path string, h http.Header, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, r.url+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = h.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := replicaClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, resp.Body)
	return resp.StatusCode, buf.Bytes(), err
}
