// Package deploy checks the deployment files that live outside Go code: the
// Heroku Procfile and app.json, the Dockerfile and .dockerignore, the
// Kubernetes manifests under deploy/kubernetes, and the legacy operators'
// bin/run.sh. It has no code of its own; see deploy_test.go and
// runsh_test.go, and the README's Deployment section for what they prove.
package deploy
