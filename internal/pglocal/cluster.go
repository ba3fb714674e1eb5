package pglocal

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"users/internal/pgadmin"
)

// cluster is one line of pg_lsclusters.
type cluster struct {
	Version string
	Name    string
	Port    int
	Status  string // "online", "down", "online,recovery", "down,binaries_missing", ...
}

// parseClusters parses the output of pg_lsclusters --no-header:
// "Ver Cluster Port Status Owner Datadirectory Logfile", blank-separated.
func parseClusters(out []byte) []cluster {
	var cs []cluster
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		port, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		cs = append(cs, cluster{Version: f[0], Name: f[1], Port: port, Status: f[3]})
	}
	return cs
}

// systemCluster uses a Debian cluster: one already online on another port, or one
// that is down and that we may start (as root). It reports false, after logging why,
// when there is none to use.
func systemCluster(ctx context.Context, log *slog.Logger) (string, bool) {
	lsclusters, err := exec.LookPath("pg_lsclusters")
	if err != nil {
		return "", false
	}
	out, err := exec.CommandContext(ctx, lsclusters, "--no-header").Output()
	if err != nil {
		log.Warn("pg_lsclusters failed", "err", err)
		return "", false
	}
	clusters := parseClusters(out)
	// A running cluster on another port than 5432 may well accept us.
	for _, c := range clusters {
		if strings.HasPrefix(c.Status, "online") && c.Port != defaultPort {
			u := localURL(c.Port)
			if err := ping(ctx, u); err == nil {
				log.Info("postgres found", "cluster", c.Version+"/"+c.Name, "url", pgadmin.Redact(u))
				return u, true
			}
		}
	}
	if os.Geteuid() != 0 {
		return "", false
	}
	ctlcluster, err := exec.LookPath("pg_ctlcluster")
	if err != nil {
		return "", false
	}
	for _, c := range clusters {
		if c.Status != "down" {
			continue // online (and not answering us), or binaries missing
		}
		u := localURL(c.Port)
		log.Info("starting system postgres cluster", "cluster", c.Version+"/"+c.Name, "port", c.Port)
		out, err := exec.CommandContext(ctx, ctlcluster, "--skip-systemctl-redirect", c.Version, c.Name, "start").CombinedOutput()
		if err != nil {
			// Another test process may have started it a moment ago: wait anyway.
			log.Debug("pg_ctlcluster start failed", "cluster", c.Version+"/"+c.Name, "err", err, "output", strings.TrimSpace(string(out)))
		}
		if err := waitReady(ctx, u, clusterStartTimeout); err != nil {
			log.Warn("system postgres cluster did not start", "cluster", c.Version+"/"+c.Name, "err", err, "output", strings.TrimSpace(string(out)))
			continue
		}
		log.Info("postgres started", "cluster", c.Version+"/"+c.Name, "url", pgadmin.Redact(u))
		return u, true
	}
	return "", false
}
