package deploy

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fernet/fernet-go"

	"users/internal/testdb"
)

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
