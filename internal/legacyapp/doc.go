// Package legacyapp holds the tests that run the real legacy service (the
// Falcon app of ziwon/falcon-rest-api, under gunicorn with Debian's Python
// packages) beside this one: legacy users served here on the same database;
// with LEGACY_COEXISTENCE on, users signed up on either service logging in
// and served on the other with one token; `server compare` over the recorded
// exchanges and new requests finding only deliberate departures, with
// coexistence off and on; and the rows this service writes in the legacy
// format exactly when coexistence is on.
//
// The tests need a checkout of the legacy service, named by LEGACY_SRC; they
// skip without one (CI has none). scripts/legacy-app.sh installs the Python
// packages, makes a checkout and runs them. No code of the legacy service is
// kept here: testdata/new holds only request lines, in the golden format.
package legacyapp
