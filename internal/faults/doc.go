// Package faults holds the fault tests: the built server binary, run as
// several replicas, against infrastructure of their own that the tests break
// on purpose. TestMain starts a throwaway PostgreSQL cluster (never a shared
// server) and a real PgBouncer in transaction mode in front of it; tests that
// need Redis start a redis-server on a port of their own. The scenarios:
// PostgreSQL stopped and restarted under load, Redis lost and back, the
// session cache's LISTEN connection killed, two replicas behind the pooler
// (with and without DATABASE_DIRECT_URL), replicas migrating at once through
// the pooler, and a replica killed in the middle of sign-ups.
//
// PgBouncer and redis-server come from Debian (apt-get install -y pgbouncer
// redis-server; scripts/check.sh installs PgBouncer when it runs as root).
// Without them the tests are skipped, or fail under CI=true.
package faults
