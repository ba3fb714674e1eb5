// Package deploy checks the deployment files that live outside Go code: the
// Heroku Procfile and app.json, the Dockerfile and .dockerignore, the
// Kubernetes manifests under deploy/kubernetes, and the legacy operators'
// bin/run.sh. It has no code of its own: its tests, one file per target,
// are the checks, and docs/deployment.md says what they prove.
//
// It is a module of its own (users/deploy, with replace users => ../), so
// that k8s.io/api and its dependencies are not the service's: run it with
// go -C deploy test ./... (scripts/check.sh does).
package deploy
